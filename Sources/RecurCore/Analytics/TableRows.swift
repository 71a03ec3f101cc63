import Postgres

/// Rows of an analytics table or view as PostgreSQL gave them, written as a table, CSV or JSON:
/// numbers keep every digit PostgreSQL printed, times are ISO 8601 in UTC.
public struct TableRows: Sendable {
    /// How a column's values are written in JSON.
    public enum Kind: Sendable { case text, number, time, boolean }

    public var columns: [(name: String, kind: Kind)]
    public var rows: [[String?]]

    /// Runs `sql` and keeps its rows; `timeColumns` come back as ISO 8601 (the statement formats them).
    public static func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = [], on connection: Connection) throws -> TableRows {
        let result = try connection.query(sql, parameters)
        let names = result.columnNames
        let columns = names.indices.map { index -> (name: String, kind: Kind) in
            let kind: Kind =
                switch result.columnType(index) {
                case 20, 21, 23, 700, 701, 1700: .number
                case 1114, 1184, 1082: .time
                case 16: .boolean
                default: .text
                }
            return (names[index], kind)
        }
        var rows = [[String?]]()
        rows.reserveCapacity(result.rowCount)
        for row in 0..<result.rowCount {
            rows.append(
                columns.indices.map { column in
                    guard let text = result.text(row, column) else { return nil }
                    switch columns[column].kind {
                    case .time: return Self.iso8601(postgres: text)
                    case .boolean: return text == "t" ? "true" : "false"
                    default: return text
                    }
                })
        }
        return TableRows(columns: columns, rows: rows)
    }

    /// `2025-06-01 12:00:00+00` → `2025-06-01T12:00:00Z` (the session's time zone is UTC).
    static func iso8601(postgres text: String) -> String {
        var value = text
        if value.hasSuffix("+00") { value = String(value.dropLast(3)) + "Z" }
        if let space = value.firstIndex(of: " ") { value.replaceSubrange(space...space, with: "T") }
        return value
    }

    /// `[{"column": value, ...}, ...]`.
    public func json(into writer: inout JSONWriter) {
        writer.beginArray()
        for row in rows {
            writer.beginObject()
            for (column, value) in zip(columns, row) {
                writer.key(column.name)
                guard let value else {
                    writer.null()
                    continue
                }
                switch column.kind {
                case .number: value == "NaN" ? writer.null() : writer.number(text: value)
                case .boolean: writer.bool(value == "true")
                case .text, .time: writer.string(value)
                }
            }
            writer.endObject()
        }
        writer.endArray()
    }

    public var json: String {
        var writer = JSONWriter(capacity: 64 * rows.count + 16)
        json(into: &writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    public var csv: String {
        var lines = [columns.map { CSVText.field($0.name) }.joined(separator: ",")]
        for row in rows { lines.append(row.map { $0.map(CSVText.field) ?? "" }.joined(separator: ",")) }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Aligned columns for a terminal: numbers to the right.
    public var table: String {
        let cells = [columns.map(\.name)] + rows.map { $0.map { $0 ?? "" } }
        let widths = columns.indices.map { column in cells.map { $0[column].count }.max() ?? 0 }
        return cells.map { row in
            zip(row, widths).enumerated().map { index, pair in
                let padding = String(repeating: " ", count: pair.1 - pair.0.count)
                return columns[index].kind == .number ? padding + pair.0 : pair.0 + padding
            }.joined(separator: "  ").trimmingTrailingSpaces
        }.joined(separator: "\n") + "\n"
    }
}

extension String {
    fileprivate var trimmingTrailingSpaces: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
