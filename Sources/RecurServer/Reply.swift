import NIOCore

/// How a reply goes on the wire: one plain line, RESP2, or RESP3 (for a connection that sent `HELLO 3`).
public enum ReplyEncoding: Sendable {
    case plain, resp2, resp3
}

/// A reply, written as one plain line or in RESP, depending on how the request came.
public enum Reply: Sendable {
    case simple(String)
    /// A bulk string.
    case text(String)
    /// A bulk string of any bytes (`ECHO` of a binary message).
    case bytes([UInt8])
    /// An array of bulk strings.
    case list([String])
    case integer(Int)
    /// RESP3 `,1.5`; a bulk string in RESP2, as Redis writes scores.
    case double(Double)
    /// RESP3 `#t`; the integer 1 or 0 in RESP2.
    case boolean(Bool)
    /// RESP3 `_`; the null bulk string `$-1` in RESP2.
    case null
    case array([Reply])
    /// RESP3 `%n`; a flat array of keys and values in RESP2.
    case map([(String, Reply)])
    /// `0.123456 v3` (and ` cold` for an unknown user), written without building strings.
    case score(ScoringService.Score)
    case scores([ScoringService.Score])
    /// `-ERR CODE message`; codes that Redis itself defines go first (`-NOAUTH message`), so that
    /// client libraries map them to their own exceptions (an authentication error, a loading server).
    case error(code: String, message: String)

    /// An error reply, counted as such in the request metrics.
    var isError: Bool {
        if case .error = self { return true }
        return false
    }

    /// Codes with the meaning Redis gives them, written without the `ERR` prefix in RESP.
    static let redisErrorCodes: Set<String> = ["NOAUTH", "WRONGPASS", "NOPROTO", "LOADING", "NOPERM", "EXECABORT", "MOVED", "CROSSSLOT", "CLUSTERDOWN"]

    public func write(resp: Bool, into buffer: inout ByteBuffer) {
        write(resp ? .resp2 : .plain, into: &buffer)
    }

    public func write(_ encoding: ReplyEncoding, into buffer: inout ByteBuffer) {
        let resp = encoding != .plain
        switch self {
        case .simple(let s):
            // One write of bytes gathered on the stack: an interpolated "+\(s)\r\n" built a String for
            // every PONG and OK, and three writes cost three capacity checks.
            let text = s.utf8
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count + 3) { out in
                var n = 0
                if resp {
                    out[0] = UInt8(ascii: "+")
                    n = 1
                }
                for byte in text {
                    out[n] = byte
                    n += 1
                }
                if resp {
                    out[n] = 13
                    n += 1
                }
                out[n] = 10
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(out)[0..<(n + 1)]))
            }
        case .text(let s):
            if resp {
                Self.writeBulk(s, into: &buffer)
            } else {
                // A plain reply is one line, whatever the text holds.
                buffer.writeString(s.contains(where: \.isNewline) ? Self.oneLine(s) : s)
                buffer.writeString("\n")
            }
        case .bytes(let bytes):
            if resp {
                Self.writeHeader(UInt8(ascii: "$"), bytes.count, into: &buffer)
                buffer.writeBytes(bytes)
                buffer.writeStaticString("\r\n")
            } else {
                buffer.writeString(plainText + "\n")
            }
        case .list(let items):
            if resp {
                Self.writeHeader(UInt8(ascii: "*"), items.count, into: &buffer)
                for item in items { Self.writeBulk(item, into: &buffer) }
            } else {
                buffer.writeString(items.joined(separator: " "))
                buffer.writeString("\n")
            }
        case .integer, .double, .boolean, .null, .array, .map:
            if resp {
                writeStructured(encoding, into: &buffer)
            } else {
                buffer.writeString(plainText)
                buffer.writeString("\n")
            }
        case .score(let score):
            Self.writeScore(score, resp: resp, into: &buffer)
            if !resp { buffer.writeInteger(UInt8(ascii: "\n")) }
        case .scores(let scores):
            if resp { Self.writeHeader(UInt8(ascii: "*"), scores.count, into: &buffer) }
            for (index, score) in scores.enumerated() {
                if !resp && index > 0 { buffer.writeInteger(UInt8(ascii: " ")) }
                Self.writeScore(score, resp: resp, into: &buffer)
            }
            if !resp { buffer.writeInteger(UInt8(ascii: "\n")) }
        case .error(let code, let message):
            // One line, always: a message can never break the framing.
            let clean = Self.oneLine(message)
            if !resp {
                buffer.writeString("ERR \(code) \(clean)\n")
            } else if Self.redisErrorCodes.contains(code) {
                buffer.writeString("-\(code) \(clean)\r\n")
            } else {
                buffer.writeString("-ERR \(code) \(clean)\r\n")
            }
        }
    }

    /// RESP for the structured kinds; nested values keep the connection's encoding.
    private func writeStructured(_ encoding: ReplyEncoding, into buffer: inout ByteBuffer) {
        let resp3 = encoding == .resp3
        switch self {
        case .integer(let value):
            buffer.writeString(":\(value)\r\n")
        case .double(let value):
            if resp3 { buffer.writeString(",\(Self.number(value))\r\n") } else { Self.writeBulk(Self.number(value), into: &buffer) }
        case .boolean(let value):
            buffer.writeString(resp3 ? (value ? "#t\r\n" : "#f\r\n") : (value ? ":1\r\n" : ":0\r\n"))
        case .null:
            buffer.writeStaticString(resp3 ? "_\r\n" : "$-1\r\n")
        case .array(let items):
            Self.writeHeader(UInt8(ascii: "*"), items.count, into: &buffer)
            for item in items { item.write(encoding, into: &buffer) }
        case .map(let pairs):
            if resp3 {
                Self.writeHeader(UInt8(ascii: "%"), pairs.count, into: &buffer)
            } else {
                Self.writeHeader(UInt8(ascii: "*"), 2 * pairs.count, into: &buffer)
            }
            for (key, value) in pairs {
                Self.writeBulk(key, into: &buffer)
                value.write(encoding, into: &buffer)
            }
        default:
            write(encoding, into: &buffer)
        }
    }

    /// The reply as words on one line, for the plain protocol.
    var plainText: String {
        switch self {
        case .simple(let s), .text(let s): Self.oneLine(s)
        case .bytes(let bytes): Self.oneLine(String(decoding: bytes, as: UTF8.self))
        case .list(let items): items.joined(separator: " ")
        case .integer(let value): String(value)
        case .double(let value): Self.number(value)
        case .boolean(let value): value ? "true" : "false"
        case .null: "(nil)"
        case .array(let items): items.map(\.plainText).joined(separator: " ")
        case .map(let pairs): pairs.map { "\($0.0)=\($0.1.plainText)" }.joined(separator: " ")
        case .score, .scores: plainLine
        case .error(let code, let message): "ERR \(code) \(Self.oneLine(message))"
        }
    }

    /// A score's plain line without its newline, as `write(.plain)` writes it.
    private var plainLine: String {
        var buffer = ByteBuffer()
        write(.plain, into: &buffer)
        return String(buffer.readableBytesView.dropLast().map { Character(Unicode.Scalar($0)) })
    }

    /// Redis's spelling of a double: shortest round-trip digits, `inf`, `-inf`, `nan`.
    static func number(_ value: Double) -> String {
        value.isNaN ? "nan" : value.isInfinite ? (value < 0 ? "-inf" : "inf") : "\(value)"
    }

    static func oneLine(_ text: String) -> String {
        guard text.contains(where: \.isNewline) else { return text }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// A score's text, `0.231045 v3` (` cold` for an unknown user), as a RESP bulk string when `resp`.
    ///
    /// Composed on the stack and written in one call: byte-by-byte buffer writes cost more than scoring.
    private static func writeScore(_ score: ScoringService.Score, resp: Bool, into buffer: inout ByteBuffer) {
        let version = score.version.utf8
        let textLength = (score.probability.isFinite ? 8 : 3) + 1 + version.count + (score.cold ? 5 : 0)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: textLength + 16) { out in
            var n = 0
            func put(_ byte: UInt8) { out[n] = byte; n += 1 }
            func put<S: Sequence<UInt8>>(_ bytes: S) { for b in bytes { put(b) } }
            if resp {
                put(UInt8(ascii: "$"))
                put(String(textLength).utf8)
                put(13); put(10)
            }
            let p = score.probability
            if p.isFinite {
                let micros = Int((min(max(p, 0), 1) * 1_000_000).rounded())
                put(UInt8(ascii: "0") + UInt8(micros / 1_000_000))
                put(UInt8(ascii: "."))
                var divisor = 100_000
                while divisor > 0 {
                    put(UInt8(ascii: "0") + UInt8(micros % 1_000_000 / divisor % 10))
                    divisor /= 10
                }
            } else {
                put("nan".utf8)
            }
            put(UInt8(ascii: " "))
            put(version)
            if score.cold { put(" cold".utf8) }
            if resp { put(13); put(10) }
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(out)[0..<n]))
        }
    }

    private static func writeBulk(_ text: String, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "$"), text.utf8.count, into: &buffer)
        buffer.writeString(text)
        buffer.writeStaticString("\r\n")
    }

    /// `*N\r\n` or `$N\r\n` without an interpolated string.
    private static func writeHeader(_ marker: UInt8, _ value: Int, into buffer: inout ByteBuffer) {
        buffer.writeInteger(marker)
        var divisor = 1
        while divisor <= value / 10 { divisor *= 10 }
        while divisor > 0 {
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(value / divisor % 10))
            divisor /= 10
        }
        buffer.writeStaticString("\r\n")
    }
}
