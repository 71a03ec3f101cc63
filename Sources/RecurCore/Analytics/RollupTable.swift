import Postgres

/// The one home of a rollup's SQL: its table, the batch update and the rebuild from stored events.
///
/// Both paths aggregate with the same expressions (`select(from:)`), so a table kept up to date
/// batch by batch equals one rebuilt from the events.
struct RollupTable: Sendable {
    let rollup: Rollup

    private var name: String { rollup.name }
    private var width: String { "\(rollup.window.microseconds / 1_000_000) seconds" }
    private var groupColumn: String? { rollup.group.column }
    /// The window's start for event `e`, aligned to the Unix epoch.
    private var bucket: String { "date_bin('\(width)', e.ts, timestamptz 'epoch')" }

    private static func type(of measure: Rollup.Measure) -> String {
        switch measure {
        case .revenue, .refunded: "numeric(24, 4) NOT NULL DEFAULT 0"
        case .conversion: "double precision GENERATED ALWAYS AS (CASE WHEN views > 0 THEN purchases::float8 / views END) STORED"
        default: "bigint NOT NULL DEFAULT 0"
        }
    }

    /// The aggregate behind each stored measure, over events `e` whose window starts at `bucket`.
    private func aggregate(_ measure: Rollup.Measure) -> String? {
        switch measure {
        case .events: "count(*)"
        case .views: "count(*) FILTER (WHERE e.event_type = 'view')"
        case .carts: "count(*) FILTER (WHERE e.event_type = 'cart')"
        case .purchases: "count(*) FILTER (WHERE e.event_type = 'purchase')"
        case .refunds: "count(*) FILTER (WHERE e.event_type = 'refund')"
        case .revenue: "coalesce(sum(e.amount) FILTER (WHERE e.event_type = 'purchase'), 0)"
        case .refunded: "coalesce(sum(e.amount) FILTER (WHERE e.event_type = 'refund'), 0)"
        case .quantity: "coalesce(sum(e.quantity) FILTER (WHERE e.event_type = 'purchase'), 0)"
        case .users: "count(DISTINCT e.user_id)"
        // Late: the window had closed when the event arrived (see features/rollups.toml).
        case .late: "count(*) FILTER (WHERE e.high_water >= \(bucket) + interval '\(width)' + interval '\(rollup.watermark.microseconds) microseconds')"
        case .conversion: nil
        }
    }

    private var stored: [Rollup.Measure] { rollup.measures.filter { $0 != .conversion } }

    var createSQL: [String] {
        var columns = [String]()
        if let groupColumn { columns.append("\(groupColumn) text NOT NULL") }
        columns.append("\(rollup.timeColumn) timestamptz NOT NULL")
        columns += rollup.measures.map { "\($0.rawValue) \(Self.type(of: $0))" }
        columns.append("PRIMARY KEY (\(rollup.keyColumns.joined(separator: ", ")))")
        let table = "CREATE TABLE \(name) (\n    \(columns.joined(separator: ",\n    "))\n)"
        // Tables keyed by product, category or device first get an index to read a time range; per-user
        // tables are read per user, and that index cost a third of their update (measured, docs/analytics.md).
        return groupColumn == nil || rollup.group == .user ? [table] : [table, "CREATE INDEX \(name)_time ON \(name) (\(rollup.timeColumn))"]
    }

    /// The key expressions (group, then window) over events `e`.
    private var keys: [String] { (groupColumn.map { ["e.\($0)"] } ?? []) + [bucket] }

    /// ` WHERE …`: a grouped rollup counts only events that have a value of the group.
    private func filter(_ condition: String? = nil) -> String {
        let conditions = (groupColumn.map { ["e.\($0) IS NOT NULL"] } ?? []) + (condition.map { [$0] } ?? [])
        return conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
    }

    /// Aggregated rows of `source` (a relation of events named `e`), one per key, in key order;
    /// the batch update and the rebuild both read through here, so they count alike.
    private func select(from source: String, where condition: String? = nil, aggregates: [String]? = nil) -> String {
        let positions = (1...keys.count).map(String.init).joined(separator: ", ")
        return """
            SELECT \((keys + (aggregates ?? stored.compactMap(aggregate))).joined(separator: ", ")) FROM \(source) e\(filter(condition)) \
            GROUP BY \(positions) ORDER BY \(positions)
            """
    }

    private var insertColumns: String { (rollup.keyColumns + stored.map(\.rawValue)).joined(separator: ", ") }

    /// Adds a batch's events (in `batchTable`, already stored in `events`) to their windows.
    func applySQL(batchTable: String) -> [String] {
        let additive = stored.filter(\.isAdditive)
        let users = stored.contains(.users)
        // Distinct users are not additive: the batch's rows start at 0 and the next statement counts
        // the users that have no earlier event in that window.
        let aggregates = stored.map { $0 == .users ? "0" : aggregate($0)! }
        let updates = additive.map { "\($0.rawValue) = \(name).\($0.rawValue) + excluded.\($0.rawValue)" }
        var statements = [
            """
            INSERT INTO \(name) AS \(name) (\(insertColumns))
            \(select(from: batchTable, aggregates: aggregates))
            ON CONFLICT (\(rollup.keyColumns.joined(separator: ", "))) DO \(updates.isEmpty ? "NOTHING" : "UPDATE SET " + updates.joined(separator: ", "))
            """
        ]
        if users {
            // A user is new to a window when every stored event of theirs in it is one of this batch's.
            let groupSelect = groupColumn.map { "e.\($0), " } ?? ""
            let groupMatch = groupColumn.map { " AND x.\($0) = b.\($0)" } ?? ""
            let groupKey = groupColumn.map { "b.\($0), " } ?? ""
            let keyMatch = (groupColumn.map { ["t.\($0) = n.\($0)"] } ?? []) + ["t.\(rollup.timeColumn) = n.ws"]
            statements.append(
                """
                UPDATE \(name) t SET users = t.users + n.fresh FROM (
                    SELECT \(groupKey)b.ws, count(*) AS fresh FROM (
                        SELECT e.user_id, \(groupSelect)\(bucket) AS ws, count(*) AS n FROM \(batchTable) e\(filter()) GROUP BY 1, 2\(groupColumn == nil ? "" : ", 3")
                    ) b
                    WHERE (SELECT count(*) FROM events x WHERE x.user_id = b.user_id AND x.ts >= b.ws AND x.ts < b.ws + interval '\(width)'\(groupMatch)) = b.n
                    GROUP BY \(groupKey)b.ws
                ) n WHERE \(keyMatch.joined(separator: " AND "))
                """)
        }
        return statements
    }

    /// Replaces the windows that start in [from, to) (all of them without bounds) with a recount of the stored events.
    func rebuildSQL(bounded: Bool) -> [String] {
        guard bounded else {
            return ["TRUNCATE \(name)", "INSERT INTO \(name) (\(insertColumns)) \(select(from: "events"))"]
        }
        // $1, $2: the range, widened to whole windows.
        let from = "date_bin('\(width)', $1::timestamptz, timestamptz 'epoch')"
        let to = "date_bin('\(width)', $2::timestamptz - interval '1 microsecond', timestamptz 'epoch') + interval '\(width)'"
        return [
            "DELETE FROM \(name) WHERE \(rollup.timeColumn) >= \(from) AND \(rollup.timeColumn) < \(to)",
            "INSERT INTO \(name) (\(insertColumns)) \(select(from: "events", where: "e.ts >= \(from) AND e.ts < \(to)"))"
        ]
    }

    /// The table's stored columns, and the same columns recounted from every stored event.
    var recount: (columns: String, select: String) { (insertColumns, select(from: "events")) }

    /// The time column and the order of rows within a window, for `rollups show`.
    var ordering: (time: String, keys: [String]) { (rollup.timeColumn, groupColumn.map { [$0] } ?? []) }
}
