import Foundation
import Postgres
import Testing

/// Binary COPY fields read back: integers, timestamps and numerics as PostgreSQL sends them.
struct CopyBinaryTests {
    /// A numeric's binary form from its decimal text, as PostgreSQL's numeric_send writes it.
    static func numeric(_ text: String) -> [UInt8] {
        let negative = text.hasPrefix("-")
        let body = negative ? String(text.dropFirst()) : text
        let parts = body.split(separator: ".", omittingEmptySubsequences: false)
        var whole = String(parts[0])
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while whole.count % 4 != 0 { whole = "0" + whole }
        while fraction.count % 4 != 0 { fraction += "0" }
        var groups = stride(from: 0, to: whole.count, by: 4).map { Int16(whole.dropFirst($0).prefix(4))! }
        var weight = groups.count - 1
        groups += stride(from: 0, to: fraction.count, by: 4).map { Int16(fraction.dropFirst($0).prefix(4))! }
        while groups.first == 0 {
            groups.removeFirst()
            weight -= 1
        }
        while groups.last == 0 { groups.removeLast() }
        func be(_ v: Int16) -> [UInt8] { [UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)] }
        return be(Int16(groups.count)) + be(Int16(groups.isEmpty ? 0 : weight)) + be(negative ? 0x4000 : 0) + be(4)
            + groups.flatMap(be)
    }

    @Test func numericsScaleAndRoundHalfAwayFromZeroAsBigintCastsDo() {
        let cases: [(String, Int, Int64)] = [
            ("0", 2, 0), ("12.34", 2, 1234), ("12.345", 2, 1235), ("12.3449", 2, 1234), ("-12.345", 2, -1235),
            ("0.005", 2, 1), ("0.0049", 2, 0), ("10000", 2, 1_000_000), ("99999999999999.9999", 2, 10_000_000_000_000_000),
            ("1.5", 0, 2), ("2.4999", 0, 2), ("0.00000001", 7, 0), ("0.00000005", 7, 1), ("123456789.0001", 4, 1_234_567_890_001)
        ]
        for (text, scale, expected) in cases {
            let bytes = Self.numeric(text)
            #expect(bytes.withUnsafeBytes { CopyBinary.scaledNumeric($0, scale: scale) } == expected, "\(text) at scale \(scale)")
        }
        // NaN (sign 0xC000), a digit past 9999, a length that disagrees, and a value past Int64.
        let refused: [[UInt8]] = [
            [0, 0, 0, 0, 0xC0, 0, 0, 0], [0, 1, 0, 0, 0, 0, 0, 0, 0x27, 0x10], [0, 2, 0, 0, 0, 0, 0, 0, 0, 1],
            Self.numeric("9223372036854775808")
        ]
        for bytes in refused { #expect(bytes.withUnsafeBytes { CopyBinary.scaledNumeric($0, scale: 2) } == nil) }
    }

    @Test func fieldsTimestampsAndTheTrailer() throws {
        func be(_ v: Int64, _ n: Int) -> [UInt8] { (0..<n).reversed().map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        let micros: Int64 = 1_735_689_600_123_456  // 2025-01-01T00:00:00.123456Z
        let row = be(3, 2) + be(3, 4) + Array("abc".utf8) + be(-1, 4) + be(8, 4) + be(micros - CopyBinary.postgresEpochMicroseconds, 8)
        try row.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) throws -> Void in
            var fields = CopyBinaryFields(bytes)
            #expect(fields.count == 3)
            #expect(try fields.next().map { String(decoding: $0, as: UTF8.self) } == "abc")
            #expect(try fields.next() == nil)
            #expect(try fields.next().flatMap(CopyBinary.unixMicroseconds) == micros)
            #expect(fields.isAtEnd)
            #expect(throws: PostgresError.self) { try fields.next() }
        }
        let short = be(1, 2) + be(9, 4) + [1, 2]
        short.withUnsafeBytes { bytes in
            var fields = CopyBinaryFields(bytes)
            #expect(throws: PostgresError.self) { try fields.next() }
        }
        #expect(be(-1, 2).withUnsafeBytes { CopyBinary.isTrailer($0) && CopyBinaryFields($0).count == -1 })
        #expect(be(7, 8).withUnsafeBytes { CopyBinary.integer($0) } == 7)
        #expect(be(-7, 4).withUnsafeBytes { CopyBinary.integer($0) } == -7)
    }
}
