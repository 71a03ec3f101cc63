import Postgres

/// Reading the analytics a store keeps: its rollups, sessions and views, for the CLI and the live page.
public enum AnalyticsTables {
    /// The views over the built-in rollups, with their time column (nil: not by time).
    static let views: [(name: String, time: String?)] = [
        ("conversion_hourly", "hour"), ("conversion_daily", "day"), ("products_high_interest_low_conversion", nil)
    ]

    /// One row per registered table and view: what it is, how it is grouped, its newest window.
    public static func list(on connection: Connection) throws -> TableRows {
        var rows = [[String?]]()
        for definition in try RollupRegistry.load(on: connection).definitions {
            let newest = try connection.query("SELECT max(\(definition.ordering.time))::text FROM \(definition.name)").text(0, 0)
            switch definition {
            case .rollup(let rollup):
                rows.append([
                    rollup.name, "rollup", rollup.window.description, rollup.group.rawValue, rollup.watermark.description,
                    rollup.measures.map(\.rawValue).joined(separator: " "), newest.map(TableRows.iso8601(postgres:))
                ])
            case .sessions(let sessions):
                rows.append([
                    sessions.name, "sessions", nil, "user", nil, "gap \(sessions.gap) (\(sessions.set))", newest.map(TableRows.iso8601(postgres:))
                ])
            }
        }
        let existing = try connection.query("SELECT viewname::text FROM pg_views WHERE schemaname = current_schema()")
        let present = Set((0..<existing.rowCount).compactMap { existing.text($0, 0) })
        for view in views where present.contains(view.name) {
            rows.append([view.name, "view", nil, nil, nil, nil, nil])
        }
        return TableRows(
            columns: [
                ("name", .text), ("kind", .text), ("window", .text), ("group", .text), ("watermark", .text), ("measures", .text), ("newest", .time)
            ], rows: rows)
    }

    /// Rows of `name` whose time is in [from, to), oldest first; without bounds, the newest `limit` rows.
    public static func show(_ name: String, from: Timestamp?, to: Timestamp?, limit: Int, on connection: Connection) throws -> TableRows {
        let definitions = try RollupRegistry.load(on: connection).definitions
        let ordering: (time: String?, keys: [String])
        if let definition = definitions.first(where: { $0.name == name }) {
            ordering = (definition.ordering.time, definition.ordering.keys)
        } else if let view = views.first(where: { $0.name == name }) {
            ordering = (view.time, [])
        } else {
            throw RollupError.unknown(name, known: definitions.map(\.name) + views.map(\.name))
        }
        guard let time = ordering.time else {
            return try TableRows.query("SELECT * FROM \(name) LIMIT $1", [limit], on: connection)
        }
        let keys = ordering.keys.map { ", \($0)" }.joined()
        if from == nil && to == nil {
            let newest = ordering.keys.map { ", \($0) DESC" }.joined()
            return try TableRows.query(
                "SELECT * FROM (SELECT * FROM \(name) ORDER BY \(time) DESC\(newest) LIMIT $1) r ORDER BY \(time)\(keys)", [limit], on: connection)
        }
        return try TableRows.query(
            "SELECT * FROM \(name) WHERE \(time) >= $1 AND \(time) < $2 ORDER BY \(time)\(keys) LIMIT $3",
            [from?.iso8601 ?? "0001-01-01T00:00:00Z", to?.iso8601 ?? "9999-01-01T00:00:00Z", limit], on: connection)
    }
}
