/// Reads one JSON Lines record: a flat object whose values are strings, numbers, booleans or null.
///
/// Nested objects and arrays are kept as their raw JSON text, so an unmapped nested field costs nothing
/// and a mapped one is rejected by validation with a clear reason.
public enum JSONLineParser {
    /// Why a line is not a JSON object.
    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var offset: Int
        public var description: String { "invalid JSON at byte \(offset + 1): \(message)" }
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> [(key: String, value: String?)] {
        var p = Parser(bytes: bytes)
        p.skipSpace()
        try p.expect(UInt8(ascii: "{"))
        var pairs = [(key: String, value: String?)]()
        p.skipSpace()
        if p.peek == UInt8(ascii: "}") {
            p.index += 1
        } else {
            while true {
                p.skipSpace()
                let key = try p.string()
                p.skipSpace()
                try p.expect(UInt8(ascii: ":"))
                p.skipSpace()
                pairs.append((key, try p.value()))
                p.skipSpace()
                if p.peek == UInt8(ascii: ",") { p.index += 1; continue }
                try p.expect(UInt8(ascii: "}"))
                break
            }
        }
        p.skipSpace()
        guard p.index == bytes.count else { throw Failure(message: "text after the closing brace", offset: p.index) }
        return pairs
    }

    private struct Parser {
        let bytes: [UInt8]
        var index = 0

        var peek: UInt8? { index < bytes.count ? bytes[index] : nil }

        mutating func skipSpace() {
            while let b = peek, b == 32 || b == 9 || b == 13 || b == 10 { index += 1 }
        }

        mutating func expect(_ byte: UInt8) throws(Failure) {
            guard peek == byte else {
                throw Failure(message: "expected '\(Character(Unicode.Scalar(byte)))'", offset: index)
            }
            index += 1
        }

        mutating func value() throws(Failure) -> String? {
            guard let b = peek else { throw Failure(message: "missing value", offset: index) }
            switch b {
            case UInt8(ascii: "\""): return try string()
            case UInt8(ascii: "{"), UInt8(ascii: "["): return try nested()
            case UInt8(ascii: "n"): try literal("null"); return nil
            case UInt8(ascii: "t"): try literal("true"); return "true"
            case UInt8(ascii: "f"): try literal("false"); return "false"
            default:
                let start = index
                while let c = peek, (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                        || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") { index += 1 }
                guard index > start else { throw Failure(message: "unexpected character", offset: index) }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
        }

        mutating func literal(_ word: String) throws(Failure) {
            for byte in word.utf8 {
                guard peek == byte else { throw Failure(message: "expected \(word)", offset: index) }
                index += 1
            }
        }

        mutating func nested() throws(Failure) -> String {
            let start = index
            var depth = 0
            var inString = false
            while let b = peek {
                index += 1
                if inString {
                    if b == UInt8(ascii: "\\") { index += 1 } else if b == UInt8(ascii: "\"") { inString = false }
                    continue
                }
                switch b {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return String(decoding: bytes[start..<index], as: UTF8.self) }
                default: break
                }
            }
            throw Failure(message: "unterminated nested value", offset: start)
        }

        mutating func string() throws(Failure) -> String {
            try expect(UInt8(ascii: "\""))
            var out = [UInt8]()
            while let b = peek {
                index += 1
                switch b {
                case UInt8(ascii: "\""): return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard let e = peek else { break }
                    index += 1
                    switch e {
                    case UInt8(ascii: "n"): out.append(10)
                    case UInt8(ascii: "t"): out.append(9)
                    case UInt8(ascii: "r"): out.append(13)
                    case UInt8(ascii: "b"): out.append(8)
                    case UInt8(ascii: "f"): out.append(12)
                    case UInt8(ascii: "u"):
                        var scalar = try hex4()
                        if (0xD800..<0xDC00).contains(scalar), peek == UInt8(ascii: "\\") {
                            index += 1
                            try expect(UInt8(ascii: "u"))
                            let low = try hex4()
                            guard (0xDC00..<0xE000).contains(low) else { throw Failure(message: "bad surrogate pair", offset: index) }
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                        guard let value = Unicode.Scalar(scalar) else { throw Failure(message: "bad \\u escape", offset: index) }
                        out.append(contentsOf: Array(String(Character(value)).utf8))
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                    default: throw Failure(message: "bad escape \\\(Character(Unicode.Scalar(e)))", offset: index - 1)
                    }
                default:
                    guard b >= 0x20 else { throw Failure(message: "control character in string", offset: index - 1) }
                    out.append(b)
                }
            }
            throw Failure(message: "unterminated string", offset: index)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let b = peek else { throw Failure(message: "short \\u escape", offset: index) }
                index += 1
                let digit: UInt32
                switch b {
                case 48...57: digit = UInt32(b - 48)
                case 65...70: digit = UInt32(b - 55)
                case 97...102: digit = UInt32(b - 87)
                default: throw Failure(message: "bad hex digit in \\u escape", offset: index - 1)
                }
                value = value * 16 + digit
            }
            return value
        }
    }
}
