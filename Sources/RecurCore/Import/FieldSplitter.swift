/// Splits one delimited record into fields: CSV quoting for commas and semicolons, plain tabs, runs of spaces.
public struct FieldSplitter: Sendable {
    /// How fields are separated in a file.
    public enum Delimiter: String, Sendable, CaseIterable {
        case comma = "csv", tab = "tsv", semicolon, whitespace
    }

    public let delimiter: Delimiter
    public init(_ delimiter: Delimiter) { self.delimiter = delimiter }

    /// The fields of `record`, unquoted; nil when a quoted field is malformed.
    public func split(_ record: String) -> [String]? {
        switch delimiter {
        case .comma: return splitQuoted(record, separator: UInt8(ascii: ","))
        case .semicolon: return splitQuoted(record, separator: UInt8(ascii: ";"))
        case .tab: return record.utf8.split(separator: UInt8(ascii: "\t"), omittingEmptySubsequences: false).map { Self.unquote(String($0)!) }
        case .whitespace:
            return record.utf8.split(whereSeparator: { $0 == 32 || $0 == 9 }).map { Self.unquote(String($0)!) }
        }
    }

    static func unquote(_ field: String) -> String {
        let utf8 = field.utf8
        guard utf8.count >= 2, utf8.first == UInt8(ascii: "\""), utf8.last == UInt8(ascii: "\"") else { return field }
        return String(field.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
    }

    private func splitQuoted(_ record: String, separator: UInt8) -> [String]? {
        var fields = [String]()
        var utf8 = Array(record.utf8)
        if utf8.firstIndex(of: UInt8(ascii: "\"")) == nil {
            return record.utf8.split(separator: separator, omittingEmptySubsequences: false).map { String($0)! }
        }
        var field = [UInt8]()
        var index = 0
        let count = utf8.count
        utf8.append(separator)
        while index <= count {
            field.removeAll(keepingCapacity: true)
            // Leading spaces before a quote are tolerated, as spreadsheets write them.
            var probe = index
            while probe < count, utf8[probe] == 32 { probe += 1 }
            if probe < count, utf8[probe] == UInt8(ascii: "\"") {
                index = probe + 1
                var closed = false
                while index < count {
                    let byte = utf8[index]
                    if byte == UInt8(ascii: "\"") {
                        if index + 1 < count, utf8[index + 1] == UInt8(ascii: "\"") {
                            field.append(byte)
                            index += 2
                            continue
                        }
                        closed = true
                        index += 1
                        break
                    }
                    field.append(byte)
                    index += 1
                }
                guard closed else { return nil }
                while index < count, utf8[index] == 32 { index += 1 }
                guard utf8[index] == separator else { return nil }
            } else {
                while utf8[index] != separator { field.append(utf8[index]); index += 1 }
            }
            fields.append(String(decoding: field, as: UTF8.self))
            index += 1
        }
        return fields
    }
}
