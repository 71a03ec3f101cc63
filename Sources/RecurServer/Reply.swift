import NIOCore

/// A reply, written as one plain line or in RESP, depending on how the request came.
public enum Reply: Sendable {
    case simple(String)
    case text(String)
    case list([String])
    /// `0.123456 v3` (and ` cold` for an unknown user), written without building strings.
    case score(ScoringService.Score)
    case scores([ScoringService.Score])
    case error(code: String, message: String)

    public func write(resp: Bool, into buffer: inout ByteBuffer) {
        switch self {
        case .simple(let s):
            buffer.writeString(resp ? "+\(s)\r\n" : "\(s)\n")
        case .text(let s):
            if resp {
                Self.writeBulkHeader(s.utf8.count, into: &buffer)
                buffer.writeString(s)
                buffer.writeString("\r\n")
            } else {
                buffer.writeString(s)
                buffer.writeString("\n")
            }
        case .list(let items):
            if resp {
                Self.writeHeader(UInt8(ascii: "*"), items.count, into: &buffer)
                for item in items {
                    Self.writeBulkHeader(item.utf8.count, into: &buffer)
                    buffer.writeString(item)
                    buffer.writeStaticString("\r\n")
                }
            } else {
                buffer.writeString(items.joined(separator: " "))
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
            let clean = message.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            buffer.writeString(resp ? "-ERR \(code) \(clean)\r\n" : "ERR \(code) \(clean)\n")
        }
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

    private static func writeBulkHeader(_ length: Int, into buffer: inout ByteBuffer) {
        writeHeader(UInt8(ascii: "$"), length, into: &buffer)
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
