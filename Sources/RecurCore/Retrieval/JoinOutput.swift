/// How `features join` writes its rows: the input's columns, then one column per feature.
public struct JoinOutput: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    public let format: Format
    public let columns: [String]
    public let features: [String]

    public init(format: Format, columns: [String], features: [String]) {
        self.format = format
        self.columns = columns
        self.features = features
    }

    /// The CSV header line (JSON Lines has none).
    public var header: String? {
        guard format == .csv else { return nil }
        return (columns + features).map(CSVText.field).joined(separator: ",") + "\n"
    }

    /// A row's input part, ready to be followed by `features(_:)`.
    public func passthrough(_ row: JoinRows.Row) -> String {
        switch format {
        case .csv:
            return row.values.map { CSVText.field($0 ?? "") }.joined(separator: ",")
        case .jsonl:
            var out = [UInt8]()
            out.append(UInt8(ascii: "{"))
            if let members = row.rawMembers {
                for (index, member) in members.enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    EventJSON.quoted(member.key, &out)
                    out.append(UInt8(ascii: ":"))
                    out.append(contentsOf: member.raw.utf8)
                }
            } else {
                for (index, (name, value)) in zip(columns, row.values).enumerated() {
                    if index > 0 { out.append(UInt8(ascii: ",")) }
                    EventJSON.quoted(name, &out)
                    out.append(UInt8(ascii: ":"))
                    if let value { EventJSON.quoted(value, &out) } else { out.append(contentsOf: "null".utf8) }
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// The feature part of a row (nil: a user with no events at all, every feature empty), ending the line.
    public func features(_ values: [Double]?) -> String {
        var out = ""
        out.reserveCapacity(features.count * 8)
        switch format {
        case .csv:
            for index in features.indices {
                out += ","
                if let value = values?[index], value.isFinite { out += Self.number(value) }
            }
            out += "\n"
        case .jsonl:
            for index in features.indices {
                out += ",\"" + jsonKey(index) + "\":"
                if let value = values?[index], value.isFinite { out += Self.number(value) } else { out += "null" }
            }
            out += "}\n"
        }
        return out
    }

    private func jsonKey(_ index: Int) -> String {
        var bytes = [UInt8]()
        EventJSON.quoted(features[index], &bytes)
        return String(decoding: bytes.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Shortest round-trip form: what `features show` and the server print, and what reads back the same.
    public static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)
    }
}
