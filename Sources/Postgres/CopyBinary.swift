/// PostgreSQL's binary COPY format, read back: a header once, then per row a 16-bit field count
/// and each field as a 32-bit length (−1 for NULL) and its bytes, all big-endian.
///
/// Binary rows skip the server's text formatting (a timestamp or a numeric printed as decimal text
/// costs PostgreSQL more than the row's whole transfer) and the client's parsing of it.
public enum CopyBinary {
    public static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 13, 10, 0]
    /// Microseconds from the Unix epoch to PostgreSQL's (2000-01-01), where binary timestamps count from.
    public static let postgresEpochMicroseconds: Int64 = 946_684_800_000_000

    /// The first message without the header (signature, flags, extension), or nil when it is not one.
    public static func skipHeader(_ message: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer? {
        guard message.count >= 19, message.prefix(11).elementsEqual(signature) else { return nil }
        let extensionLength = Int(int32(message, at: 15))
        guard extensionLength >= 0, 19 + extensionLength <= message.count else { return nil }
        return UnsafeRawBufferPointer(rebasing: message[(19 + extensionLength)...])
    }

    /// The message that ends a binary COPY: a field count of −1.
    public static func isTrailer(_ row: UnsafeRawBufferPointer) -> Bool { row.count == 2 && int16(row, at: 0) == -1 }

    public static func int16(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int16 {
        Int16(bitPattern: UInt16(bytes[index]) << 8 | UInt16(bytes[index + 1]))
    }

    public static func int32(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[index]) << 24 | UInt32(bytes[index + 1]) << 16 | UInt32(bytes[index + 2]) << 8 | UInt32(bytes[index + 3]))
    }

    public static func int64(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Int64 {
        var bits: UInt64 = 0
        for offset in 0..<8 { bits = bits << 8 | UInt64(bytes[index + offset]) }
        return Int64(bitPattern: bits)
    }

    /// An `int8`, `int4` or `int2` field (by its length), nil for anything else.
    public static func integer(_ field: UnsafeRawBufferPointer) -> Int64? {
        switch field.count {
        case 8: int64(field, at: 0)
        case 4: Int64(int32(field, at: 0))
        case 2: Int64(int16(field, at: 0))
        default: nil
        }
    }

    /// A `timestamptz` field as microseconds since the Unix epoch; nil for anything else or ±infinity.
    public static func unixMicroseconds(_ field: UnsafeRawBufferPointer) -> Int64? {
        guard field.count == 8 else { return nil }
        let value = int64(field, at: 0)
        guard value != .max, value != .min else { return nil }
        return value &+ postgresEpochMicroseconds
    }

    /// A `numeric` field times 10^`scale` (0...7), rounded half away from zero as PostgreSQL's cast
    /// to bigint rounds (`(amount * 100)::bigint` is `scaledNumeric(field, scale: 2)`); nil for NaN,
    /// infinities, a malformed field or a value past Int64.
    public static func scaledNumeric(_ field: UnsafeRawBufferPointer, scale: Int) -> Int64? {
        // ndigits, weight (of the first base-10000 digit), sign, display scale, then the digits.
        guard field.count >= 8, (0...7).contains(scale) else { return nil }
        let digits = Int(int16(field, at: 0))
        let weight = Int(int16(field, at: 2))
        let sign = UInt16(bitPattern: int16(field, at: 4))
        guard digits >= 0, field.count == 8 + 2 * digits, sign == 0 || sign == 0x4000 else { return nil }
        func digit(at position: Int) -> Int64? {  // the base-10000 digit worth 10000^position
            let index = weight - position
            guard index >= 0, index < digits else { return 0 }
            let value = Int64(int16(field, at: 8 + 2 * index))
            return value >= 0 && value < 10_000 ? value : nil
        }
        var whole: Int64 = 0
        if weight >= 0 {
            for position in stride(from: weight, through: 0, by: -1) {
                guard let d = digit(at: position) else { return nil }
                let (times, overflow) = whole.multipliedReportingOverflow(by: 10_000)
                let (sum, carry) = times.addingReportingOverflow(d)
                guard !overflow, !carry else { return nil }
                whole = sum
            }
        }
        // The first eight decimal places decide the rounding exactly for a scale up to 7: a
        // remainder below half in them stays below half whatever digits follow.
        guard let first = digit(at: -1), let second = digit(at: -2) else { return nil }
        let fraction = first * 10_000 + second
        var divisor: Int64 = 1
        for _ in scale..<8 { divisor *= 10 }
        var power: Int64 = 1
        for _ in 0..<scale { power *= 10 }
        let (shifted, overflow) = whole.multipliedReportingOverflow(by: power)
        guard !overflow else { return nil }
        var rounded = shifted + fraction / divisor
        if fraction % divisor * 2 >= divisor { rounded += 1 }
        return sign == 0x4000 ? -rounded : rounded
    }
}

/// The fields of one binary COPY row, in order: `next()` gives each field's bytes, nil for NULL.
public struct CopyBinaryFields {
    private let row: UnsafeRawBufferPointer
    private var index = 2
    /// How many fields the row says it has (−1 for the trailer).
    public let count: Int

    public init(_ row: UnsafeRawBufferPointer) {
        self.row = row
        count = row.count >= 2 ? Int(CopyBinary.int16(row, at: 0)) : -1
    }

    /// The next field; throws when the row is shorter than its lengths say.
    public mutating func next() throws(PostgresError) -> UnsafeRawBufferPointer? {
        guard index + 4 <= row.count else { throw Self.malformed }
        let length = Int(CopyBinary.int32(row, at: index))
        index += 4
        if length == -1 { return nil }
        guard length >= 0, index + length <= row.count else { throw Self.malformed }
        defer { index += length }
        return UnsafeRawBufferPointer(rebasing: row[index..<(index + length)])
    }

    /// Every byte of the row was read.
    public var isAtEnd: Bool { index == row.count }

    static let malformed = PostgresError(origin: .client, message: "a binary COPY row is shorter than its field lengths say")
}
