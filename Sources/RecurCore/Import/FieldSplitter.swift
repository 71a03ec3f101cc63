import Foundation

/// Splits one delimited record into fields: CSV quoting for commas and semicolons, plain tabs, runs of spaces.
///
/// Works on bytes and hands out byte ranges, so that only the fields a mapping uses become Strings.
public struct FieldSplitter: Sendable {
    /// How fields are separated in a file.
    public enum Delimiter: String, Sendable, CaseIterable {
        case comma = "csv", tab = "tsv", semicolon, whitespace
    }

    /// One field: a range of the record's bytes, or its unquoted text when quotes had to be removed.
    public enum Field {
        case bytes(Range<Int>)
        case text(String)
    }

    public let delimiter: Delimiter
    public init(_ delimiter: Delimiter) { self.delimiter = delimiter }

    /// The fields of `record` as Strings, unquoted and trimmed; nil when a quoted field is malformed.
    public func split(_ record: String) -> [String]? {
        let bytes = Array(record.utf8)
        var fields = [Field]()
        guard split(bytes, into: &fields) else { return nil }
        return fields.map { Self.text(of: $0, in: bytes) }
    }

    /// The trimmed text of a field; empty fields give "".
    public static func text(of field: Field, in bytes: [UInt8]) -> String {
        switch field {
        case .text(let text): return text
        case .bytes(let range):
            var lower = range.lowerBound, upper = range.upperBound
            while lower < upper, bytes[lower] == 32 || bytes[lower] == 9 { lower += 1 }
            while upper > lower, bytes[upper - 1] == 32 || bytes[upper - 1] == 9 || bytes[upper - 1] == 13 { upper -= 1 }
            return bytes.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[lower..<upper]), as: UTF8.self) }
        }
    }

    /// Fills `fields` (cleared first); false when a quoted field never closes or has text after its quote.
    public func split(_ bytes: [UInt8], into fields: inout [Field]) -> Bool {
        fields.removeAll(keepingCapacity: true)
        let count = bytes.count
        switch delimiter {
        case .whitespace:
            var index = 0
            while index < count {
                while index < count, bytes[index] == 32 || bytes[index] == 9 { index += 1 }
                guard index < count else { break }
                let start = index
                while index < count, bytes[index] != 32, bytes[index] != 9 { index += 1 }
                fields.append(Self.unquotedIfWrapped(bytes, start..<index))
            }
            return true
        case .tab:
            var start = 0
            for index in 0..<count where bytes[index] == 9 {
                fields.append(Self.unquotedIfWrapped(bytes, start..<index))
                start = index + 1
            }
            fields.append(Self.unquotedIfWrapped(bytes, start..<count))
            return true
        case .comma, .semicolon:
            let separator: UInt8 = delimiter == .comma ? 44 : 59
            var index = 0
            while true {
                var probe = index
                while probe < count, bytes[probe] == 32 { probe += 1 }
                if probe < count, bytes[probe] == 34 {
                    var text = [UInt8]()
                    index = probe + 1
                    var closed = false
                    while index < count {
                        if bytes[index] == 34 {
                            if index + 1 < count, bytes[index + 1] == 34 { text.append(34); index += 2; continue }
                            closed = true
                            index += 1
                            break
                        }
                        text.append(bytes[index])
                        index += 1
                    }
                    guard closed else { return false }
                    while index < count, bytes[index] == 32 || bytes[index] == 13 { index += 1 }
                    fields.append(.text(String(decoding: text, as: UTF8.self)))
                    if index == count { return true }
                    guard bytes[index] == separator else { return false }
                    index += 1
                } else {
                    let start = index
                    while index < count, bytes[index] != separator { index += 1 }
                    fields.append(.bytes(start..<index))
                    if index == count { return true }
                    index += 1
                }
            }
        }
    }

    static func unquotedIfWrapped(_ bytes: [UInt8], _ range: Range<Int>) -> Field {
        guard range.count >= 2, bytes[range.lowerBound] == 34, bytes[range.upperBound - 1] == 34 else { return .bytes(range) }
        let inner = bytes[(range.lowerBound + 1)..<(range.upperBound - 1)]
        return .text(String(decoding: inner, as: UTF8.self).replacingOccurrences(of: "\"\"", with: "\""))
    }
}
