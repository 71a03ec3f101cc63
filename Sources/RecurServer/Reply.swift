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
            if resp { Self.writeBulkHeader(Self.textLength(score), into: &buffer) }
            Self.writeText(score, into: &buffer)
            buffer.writeStaticString(resp ? "\r\n" : "\n")
        case .scores(let scores):
            if resp { Self.writeHeader(UInt8(ascii: "*"), scores.count, into: &buffer) }
            for (index, score) in scores.enumerated() {
                if resp {
                    Self.writeBulkHeader(Self.textLength(score), into: &buffer)
                } else if index > 0 {
                    buffer.writeInteger(UInt8(ascii: " "))
                }
                Self.writeText(score, into: &buffer)
                if resp { buffer.writeStaticString("\r\n") }
            }
            if !resp { buffer.writeStaticString("\n") }
        case .error(let code, let message):
            // One line, always: a message can never break the framing.
            let clean = message.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            buffer.writeString(resp ? "-ERR \(code) \(clean)\r\n" : "ERR \(code) \(clean)\n")
        }
    }

    private static func textLength(_ score: ScoringService.Score) -> Int {
        (score.probability.isFinite ? 8 : 3) + 1 + score.version.utf8.count + (score.cold ? 5 : 0)
    }

    /// Six decimals, written by hand: Foundation's String(format:) cost more than the scoring.
    private static func writeText(_ score: ScoringService.Score, into buffer: inout ByteBuffer) {
        let p = score.probability
        if p.isFinite {
            let micros = Int((min(max(p, 0), 1) * 1_000_000).rounded())
            buffer.writeInteger(UInt8(ascii: "0") + UInt8(micros / 1_000_000))
            buffer.writeInteger(UInt8(ascii: "."))
            let fraction = micros % 1_000_000
            var divisor = 100_000
            while divisor > 0 {
                buffer.writeInteger(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
                divisor /= 10
            }
        } else {
            buffer.writeStaticString("nan")
        }
        buffer.writeInteger(UInt8(ascii: " "))
        buffer.writeString(score.version)
        if score.cold { buffer.writeStaticString(" cold") }
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
