/// One decoded request: its words, and whether it came as a RESP array (and gets RESP replies).
public struct Request: Sendable, Equatable {
    public var words: [String]
    public var resp: Bool
    /// Every word's bytes, when a RESP bulk string was not UTF-8 (`words` then holds a lossy
    /// decoding). Only `ECHO` answers such a request; the others refuse it with `BAD_ENCODING`.
    public var binary: [[UInt8]]?

    public init(words: [String], resp: Bool, binary: [[UInt8]]? = nil) {
        self.words = words
        self.resp = resp
        self.binary = binary
    }
}

/// A request the decoder could not read; the connection answers with an error and reads on,
/// unless `fatal` (the stream can no longer be framed, e.g. an oversized line), when it closes.
public struct FramingError: Error, Equatable, Sendable {
    public var message: String
    public var resp: Bool
    public var fatal: Bool
}

/// Limits that keep one client from exhausting memory.
public struct FrameLimits: Sendable {
    public var maximumLineLength = 64 * 1024
    public var maximumArrayLength = 4_096
    public var maximumBulkLength = 64 * 1024
    public init() {}
}
