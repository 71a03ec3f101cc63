/// Redis Cluster's hash slot of a key: CRC16 (XMODEM) of the key, or of the part between the first
/// `{` and the next `}` when that part is not empty (a hash tag), modulo 16384. Every cluster client
/// computes the same, which is what lets it send a user to the node that holds it.
public enum KeySlot {
    public static let count = 16_384

    public static func of(_ key: String) -> Int {
        var bytes = Array(key.utf8)[...]
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")), let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1 {
            bytes = bytes[(open + 1)..<close]
        }
        return Int(crc16(bytes) & 0x3FFF)
    }

    /// CRC-16/XMODEM: polynomial 0x1021, initial value 0, no reflection (Redis's crc16.c).
    static func crc16(_ bytes: ArraySlice<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 { crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1 }
        }
        return crc
    }
}
