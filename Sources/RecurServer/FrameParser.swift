/// Splits a byte stream into requests: a line starting with `*` is a RESP array of bulk strings,
/// any other line is a plain command of space-separated words. Pure and allocation-light, so it
/// can be unit-tested and fuzzed without sockets.
public struct FrameParser: Sendable {
    public let limits: FrameLimits
    public init(limits: FrameLimits = FrameLimits()) { self.limits = limits }

    /// The outcome of looking at the front of the buffer.
    public enum Outcome: Equatable, Sendable {
        /// A request and how many bytes it used.
        case request(Request, consumed: Int)
        /// A bad request and how many bytes to drop (when not fatal).
        case invalid(FramingError, consumed: Int)
        /// More bytes are needed.
        case incomplete
    }

    public func parse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard !bytes.isEmpty else { return .incomplete }
        if bytes[0] == UInt8(ascii: "*") { return parseArray(bytes) }
        guard let end = lineEnd(bytes, from: 0) else {
            return bytes.count > limits.maximumLineLength
                ? .invalid(FramingError(message: "LINE_TOO_LONG line exceeds \(limits.maximumLineLength) bytes", resp: false, fatal: true), consumed: 0)
                : .incomplete
        }
        let consumed = end.next
        guard end.end <= limits.maximumLineLength else {
            return .invalid(
                FramingError(message: "LINE_TOO_LONG line exceeds \(limits.maximumLineLength) bytes", resp: false, fatal: false), consumed: consumed)
        }
        let line = UnsafeRawBufferPointer(rebasing: bytes[0..<end.end])
        guard let text = Self.text(line) else {
            return .invalid(FramingError(message: "BAD_ENCODING request is not UTF-8", resp: false, fatal: false), consumed: consumed)
        }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        return .request(Request(words: words, resp: false), consumed: consumed)
    }

    private func parseArray(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        func fatal(_ message: String) -> Outcome { .invalid(FramingError(message: message, resp: true, fatal: true), consumed: 0) }
        guard let header = lineEnd(bytes, from: 0) else {
            return bytes.count > 32 ? fatal("PROTOCOL bad array header") : .incomplete
        }
        guard let count = integer(bytes, 1, header.end), count >= 0 else { return fatal("PROTOCOL bad array length") }
        guard count <= limits.maximumArrayLength else { return fatal("PROTOCOL array longer than \(limits.maximumArrayLength)") }
        var position = header.next
        var words = [String]()
        words.reserveCapacity(count)
        // Bulk strings are binary-safe in RESP; the raw bytes are kept only when one is not UTF-8.
        var binary: [[UInt8]]?
        for _ in 0..<count {
            guard position < bytes.count else { return .incomplete }
            guard bytes[position] == UInt8(ascii: "$") else { return fatal("PROTOCOL expected a bulk string") }
            guard let lengthLine = lineEnd(bytes, from: position) else {
                return bytes.count - position > 32 ? fatal("PROTOCOL bad bulk length") : .incomplete
            }
            guard let length = integer(bytes, position + 1, lengthLine.end), length >= 0 else { return fatal("PROTOCOL bad bulk length") }
            guard length <= limits.maximumBulkLength else { return fatal("PROTOCOL bulk string longer than \(limits.maximumBulkLength)") }
            let start = lengthLine.next
            guard start + length + 2 <= bytes.count else { return .incomplete }
            guard bytes[start + length] == 13, bytes[start + length + 1] == 10 else { return fatal("PROTOCOL bulk string not followed by CRLF") }
            let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<(start + length)])
            if let word = Self.text(raw) {
                words.append(word)
                binary?.append(Array(raw))
            } else {
                if binary == nil { binary = words.map { Array($0.utf8) } }
                binary!.append(Array(raw))
                words.append(String(decoding: raw, as: UTF8.self))
            }
            position = start + length + 2
        }
        if let binary { return .request(Request(words: words, resp: true, binary: binary), consumed: position) }
        return .request(Request(words: words, resp: true), consumed: position)
    }

    /// The bytes as a string; nil when they are not UTF-8. ASCII, what clients send nearly always,
    /// skips the generic validator, whose metadata lookups showed up per request in profiles.
    static func text(_ bytes: UnsafeRawBufferPointer) -> String? {
        var ascii = true
        for byte in bytes where byte >= 0x80 { ascii = false; break }
        return ascii ? String(decoding: bytes, as: UTF8.self) : String(validating: bytes, as: UTF8.self)
    }

    /// The end of the line starting at `from` (before `\r\n` or `\n`) and where the next begins.
    private func lineEnd(_ bytes: UnsafeRawBufferPointer, from: Int) -> (end: Int, next: Int)? {
        var index = from
        let limit = min(bytes.count, from + limits.maximumLineLength + 2)
        while index < limit {
            if bytes[index] == 10 {
                let end = index > from && bytes[index - 1] == 13 ? index - 1 : index
                return (end, index + 1)
            }
            index += 1
        }
        return nil
    }

    private func integer(_ bytes: UnsafeRawBufferPointer, _ from: Int, _ to: Int) -> Int? {
        guard to > from, to - from <= 12 else { return nil }
        var value = 0
        var negative = false
        for index in from..<to {
            let b = bytes[index]
            if index == from && b == UInt8(ascii: "-") { negative = true; continue }
            guard b >= 48 && b <= 57 else { return nil }
            value = value * 10 + Int(b - 48)
        }
        return negative ? -value : value
    }
}
