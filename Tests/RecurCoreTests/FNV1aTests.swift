import Testing

@testable import RecurCore

/// The stable hash behind derived folder names, migration checksums and the server's shards.
struct FNV1aTests {
    @Test func matchesThePublishedTestVectors() {
        // From the FNV reference (Fowler, Noll, Vo): FNV-1a 64-bit.
        #expect(FNV1a.hash("".utf8) == 0xcbf2_9ce4_8422_2325)
        #expect(FNV1a.hash("a".utf8) == 0xaf63_dc4c_8601_ec8c)
        #expect(FNV1a.hash("foobar".utf8) == 0x8594_4171_f739_67e8)
        #expect(stableHash("foobar") == "85944171f73967e8")
    }
}
