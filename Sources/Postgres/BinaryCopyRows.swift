/// Rows in PostgreSQL's binary COPY format (`COPY … FROM STDIN (FORMAT binary)`), built in memory.
///
/// Used where text COPY would spell bytes out: a bytea travels as itself instead of as hex, so half
/// the bytes cross the socket and the server parses none of them.
public struct BinaryCopyRows {
    public private(set) var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = Array("PGCOPY\n".utf8) + [0xFF, 13, 10, 0]
        bytes.reserveCapacity(capacity + 32)
        append32(0)  // flags
        append32(0)  // header extension length
    }

    /// Starts a row of `fields` values; append exactly that many next.
    public mutating func beginRow(fields: Int) { append16(Int16(fields)) }

    public mutating func append(_ text: String) {
        var text = text
        text.withUTF8 { append32(Int32($0.count)); bytes.append(contentsOf: $0) }
    }

    public mutating func append(bytea: [UInt8]) {
        append32(Int32(bytea.count))
        bytes.append(contentsOf: bytea)
    }

    public mutating func append(_ value: Int64) {
        append32(8)
        append64(value)
    }

    /// A timestamptz given as microseconds since 1970; nil is NULL.
    public mutating func append(microsecondsSince1970 value: Int64?) {
        guard let value else { return appendNull() }
        append32(8)
        append64(value - Self.postgresEpochOffset)
    }

    public mutating func appendNull() { append32(-1) }

    /// The rows and the trailer, to send as the whole COPY.
    public consuming func finished() -> [UInt8] {
        var all = bytes
        all.append(0xFF); all.append(0xFF)
        return all
    }

    /// Microseconds from 1970-01-01 to PostgreSQL's epoch, 2000-01-01.
    static let postgresEpochOffset: Int64 = 946_684_800_000_000

    private mutating func append16(_ value: Int16) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    private mutating func append32(_ value: Int32) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    private mutating func append64(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
}
