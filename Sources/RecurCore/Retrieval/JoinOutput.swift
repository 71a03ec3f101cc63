/// How `features join` writes its rows: the input's columns, then one column per feature.
public struct JoinOutput: Sendable {
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    public let format: Format
    public let columns: [String]
    public let features: [String]

    /// `"name":` per feature, quoted once.
    private let jsonKeys: [[UInt8]]

    public init(format: Format, columns: [String], features: [String]) {
        self.format = format
        self.columns = columns
        self.features = features
        jsonKeys = features.map { name in
            var bytes = [UInt8]()
            EventJSON.quoted(name, &bytes)
            bytes.append(UInt8(ascii: ":"))
            return bytes
        }
    }

    /// The CSV header line (JSON Lines has none).
    public var header: String? {
        guard format == .csv else { return nil }
        return (columns + features).map(CSVText.field).joined(separator: ",") + "\n"
    }

    /// A row's input part, ready to be followed by `appendFeatures(_:to:)`: a comma-separated row
    /// as it was written, other input as fields of the output's format.
    public func appendPassthrough(_ row: JoinRows.Row, to out: inout [UInt8]) {
        switch format {
        case .csv:
            if let record = row.record {
                out += record
                return
            }
            for (index, value) in row.values.enumerated() {
                if index > 0 { out.append(UInt8(ascii: ",")) }
                out += CSVText.field(value ?? "").utf8
            }
        case .jsonl:
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
        }
    }

    /// The feature part of a row (nil: a user with no events at all, every feature empty), without
    /// its closing newline: the join's hot path, without a String per row.
    public func appendFeatures(_ values: [Double]?, to out: inout [UInt8]) {
        switch format {
        case .csv:
            for index in features.indices {
                out.append(UInt8(ascii: ","))
                if let value = values?[index], value.isFinite { Self.appendNumber(value, to: &out) }
            }
        case .jsonl:
            for index in features.indices {
                out.append(UInt8(ascii: ","))
                out += jsonKeys[index]
                if let value = values?[index], value.isFinite { Self.appendNumber(value, to: &out) } else { out += Array("null".utf8) }
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value == value.rounded() && abs(value) < 1e15 {
            var n = Int64(value)
            if n == 0 {
                out.append(UInt8(ascii: "0"))
                return
            }
            if n < 0 {
                out.append(UInt8(ascii: "-"))
                n = -n
            }
            var digits = [UInt8](repeating: 0, count: 20)
            var count = 0
            while n > 0 {
                digits[count] = UInt8(48 + n % 10)
                n /= 10
                count += 1
            }
            while count > 0 {
                count -= 1
                out.append(digits[count])
            }
        } else {
            out += Array(String(value).utf8)
        }
    }

    /// Shortest round-trip form: what `features show` and the server print, and what reads back the same.
    public static func number(_ value: Double) -> String {
        var bytes = [UInt8]()
        appendNumber(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
