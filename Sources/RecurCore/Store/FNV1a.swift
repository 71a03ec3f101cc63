/// 64-bit FNV-1a: a hash of bytes that is the same on every run and machine (unlike Swift's `Hasher`),
/// for names derived from paths, migration checksums and the server's shard of a user.
public enum FNV1a {
    @inlinable
    public static func hash(_ bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }
}

/// A short stable name for a text (FNV-1a in hex), for folders derived from a path and checksums.
func stableHash(_ text: String) -> String { String(FNV1a.hash(text.utf8), radix: 16) }
