/// Lowercase hex digits of bytes, as PostgreSQL's bytea hex form spells them.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Appends two hex digits per byte to `out`.
    public static func append(_ bytes: [UInt8], to out: inout [UInt8]) {
        out.reserveCapacity(out.count + bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 15)])
        }
    }
}
