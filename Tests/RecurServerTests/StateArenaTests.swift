import Testing
@testable import RecurServer

/// The server's compact copies of users' states, and the COPY text it reads them from.
struct StateArenaTests {
    @Test func statesSurviveReplacementsThatShrinkGrowAndCompact() {
        var arena = StateArena()
        var expected = [[UInt8]]()
        var random = SystemRandomNumberGenerator()
        for k in 0..<2_000 {
            let state = (0..<(k % 300)).map { _ in UInt8.random(in: 0...255, using: &random) }
            #expect(arena.append(state) == k)
            expected.append(state)
        }
        // Enough rewrites, longer and shorter, to make half the buffer garbage several times over.
        for round in 0..<20_000 {
            let index = Int.random(in: 0..<expected.count, using: &random)
            let state = (0..<Int.random(in: 0...(round % 2 == 0 ? 600 : 40), using: &random)).map { _ in UInt8(truncatingIfNeeded: round) }
            arena.replace(index, with: state)
            expected[index] = state
        }
        for index in expected.indices { #expect(arena.state(index) == expected[index]) }
        let live = expected.reduce(0) { $0 + $1.count }
        #expect(arena.byteCount <= 2 * live + (1 << 20) + 600)
    }

    @Test func copyTextFieldsReadBack() {
        func unescape(_ text: String) -> String { Array(text.utf8).withUnsafeBufferPointer { CopyText.unescape($0) } }
        func bytea(_ text: String) -> [UInt8]? { Array(text.utf8).withUnsafeBufferPointer { CopyText.bytea($0) } }
        #expect(unescape("plain-id") == "plain-id")
        #expect(unescape(#"back\\slash\ttab\nnew"#) == "back\\slash\ttab\nnew")
        #expect(bytea(#"\\x00ff7Aa0"#) == [0x00, 0xff, 0x7a, 0xa0])
        #expect(bytea(#"\\x"#) == [])
        #expect(bytea(#"\\x0"#) == nil)
        #expect(bytea(#"\\xzz"#) == nil)
        #expect(bytea("00ff") == nil)
    }
}
