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

    /// One value as `scan` hands it over: its text, or that it was null or an object or array.
    public enum Value: Sendable, Equatable {
        case text(String)
        case null
        case nested
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> [(key: String, value: String?)] {
        var pairs = [(key: String, value: String?)]()
        try walk(bytes) { (p: inout Parser) throws(Failure) in
            let key = try p.string()
            try p.colon()
            pairs.append((key, try p.value()))
        }
        return pairs
    }

    /// Every member in order with its value as written (`raw`: a string keeps its quotes and escapes)
    /// and decoded as `parse` gives it, for output that passes the members through unchanged.
    public static func members(_ bytes: [UInt8]) throws(Failure) -> [(key: String, raw: String, value: String?)] {
        var members = [(key: String, raw: String, value: String?)]()
        try walk(bytes) { (p: inout Parser) throws(Failure) in
            let key = try p.string()
            try p.colon()
            let start = p.index
            let value = try p.value()
            members.append((key, p.text(start..<p.index), value))
        }
        return members
    }

    /// Reads a record without building a String for any key or for a value nobody asked for: `slot`
    /// says, from a key's bytes and its position in the object, which of `values` it fills (or -1).
    /// Every value is still checked, so a record `parse` refuses is refused here with the same reason.
    public static func scan(
        _ bytes: [UInt8], into values: inout [Value?],
        slot: (UnsafeBufferPointer<UInt8>, Int) -> Int
    ) throws(Failure) {
        var index = 0
        try walk(bytes) { (p: inout Parser) throws(Failure) in
            let target = try p.key { slot($0, index) }
            index += 1
            try p.colon()
            if target >= 0 { values[target] = try p.scannedValue() } else { try p.skipValue() }
        }
    }

    /// The object around the members; `member` reads one `"key": value` pair.
    private static func walk(_ bytes: [UInt8], member: (inout Parser) throws(Failure) -> Void) throws(Failure) {
        let failure: Failure? = bytes.withUnsafeBufferPointer { buffer in
            var p = Parser(bytes: buffer)
            do throws(Failure) {
                p.skipSpace()
                try p.expect(UInt8(ascii: "{"))
                p.skipSpace()
                if p.peek == UInt8(ascii: "}") {
                    p.index += 1
                } else {
                    while true {
                        p.skipSpace()
                        try member(&p)
                        p.skipSpace()
                        if p.peek == UInt8(ascii: ",") { p.index += 1; continue }
                        try p.expect(UInt8(ascii: "}"))
                        break
                    }
                }
                p.skipSpace()
                guard p.index == buffer.count else { throw Failure(message: "text after the closing brace", offset: p.index) }
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
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

        mutating func colon() throws(Failure) {
            skipSpace()
            try expect(UInt8(ascii: ":"))
            skipSpace()
        }

        /// A value as text: a nested one as its raw JSON, null as nil.
        mutating func value() throws(Failure) -> String? {
            let start = index
            switch try scannedValue() {
            case .text(let text): return text
            case .null: return nil
            case .nested: return text(start..<index)
            }
        }

        mutating func scannedValue() throws(Failure) -> Value {
            guard let b = peek else { throw Failure(message: "missing value", offset: index) }
            switch b {
            case UInt8(ascii: "\""): return .text(try string())
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                try skipNested()
                return .nested
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "t"): try literal("true"); return .text("true")
            case UInt8(ascii: "f"): try literal("false"); return .text("false")
            default:
                let start = index
                try skipNumber()
                return .text(text(start..<index))
            }
        }

        mutating func skipValue() throws(Failure) {
            guard let b = peek else { throw Failure(message: "missing value", offset: index) }
            switch b {
            case UInt8(ascii: "\""): try skipString()
            case UInt8(ascii: "{"), UInt8(ascii: "["): try skipNested()
            case UInt8(ascii: "n"): try literal("null")
            case UInt8(ascii: "t"): try literal("true")
            case UInt8(ascii: "f"): try literal("false")
            default: try skipNumber()
            }
        }

        func text(_ range: Range<Int>) -> String {
            String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
        }

        mutating func skipNumber() throws(Failure) {
            let start = index
            while let c = peek,
                (c >= 48 && c <= 57) || c == UInt8(ascii: "-") || c == UInt8(ascii: "+")
                    || c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E")
            { index += 1 }
            guard index > start else { throw Failure(message: "unexpected character", offset: index) }
        }

        mutating func literal(_ word: StaticString) throws(Failure) {
            let utf8 = UnsafeBufferPointer(start: word.utf8Start, count: word.utf8CodeUnitCount)
            for byte in utf8 {
                guard peek == byte else { throw Failure(message: "expected \(word)", offset: index) }
                index += 1
            }
        }

        mutating func skipNested() throws(Failure) {
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
                    if depth == 0 { return }
                default: break
                }
            }
            throw Failure(message: "unterminated nested value", offset: start)
        }

        /// Where a string without escapes ends (its closing quote), or nil at the first escape.
        private mutating func plainRun() throws(Failure) -> Range<Int>? {
            try expect(UInt8(ascii: "\""))
            let start = index
            while index < bytes.count {
                let b = bytes[index]
                if b == UInt8(ascii: "\"") { index += 1; return start..<(index - 1) }
                if b == UInt8(ascii: "\\") { index = start; return nil }
                guard b >= 0x20 else { throw Failure(message: "control character in string", offset: index) }
                index += 1
            }
            throw Failure(message: "unterminated string", offset: index)
        }

        mutating func string() throws(Failure) -> String {
            if let run = try plainRun() { return text(run) }
            return String(decoding: try escaped(), as: UTF8.self)
        }

        mutating func skipString() throws(Failure) {
            if try plainRun() == nil { _ = try escaped() }
        }

        /// A key handed to `body` as bytes, decoded only when it holds escapes.
        mutating func key(_ body: (UnsafeBufferPointer<UInt8>) -> Int) throws(Failure) -> Int {
            if let run = try plainRun() { return body(UnsafeBufferPointer(rebasing: bytes[run])) }
            return try escaped().withUnsafeBufferPointer(body)
        }

        /// The decoded bytes of a string that holds escapes; `index` is just past its opening quote.
        private mutating func escaped() throws(Failure) -> [UInt8] {
            var out = [UInt8]()
            while let b = peek {
                index += 1
                switch b {
                case UInt8(ascii: "\""): return out
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
