/// A 128-bit FNV-1a-style hash that is the same on every run and machine (unlike Swift's `Hasher`).
///
/// Used for derived event ids, so it must never change: re-imports rely on it to deduplicate.
struct StableHash: Hashable {
    private(set) var high: UInt64 = 0xCBF2_9CE4_8422_2325
    private(set) var low: UInt64 = 0x6C62_272E_07BB_0142

    mutating func add(_ bytes: some Sequence<UInt8>) {
        for byte in bytes {
            high = (high ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
            low = (low ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 ^ (low >> 29)
        }
    }

    mutating func add(_ text: String?) {
        if let text { add(text.utf8) }
        // A separator that cannot occur in text keeps ("ab","c") apart from ("a","bc").
        add(CollectionOfOne(0xFF))
    }

    /// 32 hex digits, finalised with a strong mixer so that similar rows get unrelated ids.
    var hex: String {
        func mix(_ x: UInt64) -> UInt64 {
            var z = x
            z = (z ^ (z >> 33)) &* 0xFF51_AFD7_ED55_8CCD
            z = (z ^ (z >> 33)) &* 0xC4CE_B9FE_1A85_EC53
            return z ^ (z >> 33)
        }
        let a = String(mix(high ^ low.rotated), radix: 16), b = String(mix(low ^ high), radix: 16)
        return String(repeating: "0", count: 16 - a.count) + a + String(repeating: "0", count: 16 - b.count) + b
    }
}

private extension UInt64 {
    var rotated: UInt64 { (self << 31) | (self >> 33) }
}
