/// COPY's text format read back: a field as PostgreSQL wrote it, with its backslash escapes undone.
public enum CopyText {
    /// The text of one field (not `\N`, which is NULL and never a value): `\\`, `\t`, `\n`, `\r`, `\b`,
    /// `\f`, `\v`, octal and `\x` hex escapes decoded, so a value comes back byte for byte.
    public static func string(_ field: UnsafeRawBufferPointer) -> String {
        guard field.contains(92) else { return String(decoding: field, as: UTF8.self) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(field.count)
        var index = 0
        func digit(_ byte: UInt8, radix: UInt8) -> UInt8? {
            let value: UInt8
            switch byte {
            case 48...57: value = byte - 48
            case 97...102: value = byte - 87
            case 65...70: value = byte - 55
            default: return nil
            }
            return value < radix ? value : nil
        }
        while index < field.count {
            let byte = field[index]
            index += 1
            guard byte == 92, index < field.count else {
                bytes.append(byte)
                continue
            }
            let escaped = field[index]
            index += 1
            switch escaped {
            case UInt8(ascii: "b"): bytes.append(8)
            case UInt8(ascii: "f"): bytes.append(12)
            case UInt8(ascii: "n"): bytes.append(10)
            case UInt8(ascii: "r"): bytes.append(13)
            case UInt8(ascii: "t"): bytes.append(9)
            case UInt8(ascii: "v"): bytes.append(11)
            case UInt8(ascii: "x") where index < field.count && digit(field[index], radix: 16) != nil:
                var value = digit(field[index], radix: 16)!
                index += 1
                if index < field.count, let second = digit(field[index], radix: 16) {
                    value = value << 4 | second
                    index += 1
                }
                bytes.append(value)
            case 48...55:
                var value = UInt32(escaped - 48)
                for _ in 0..<2 {
                    guard index < field.count, let next = digit(field[index], radix: 8) else { break }
                    value = value << 3 | UInt32(next)
                    index += 1
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(escaped)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
