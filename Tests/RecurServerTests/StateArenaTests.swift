import Postgres
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

    @Test func binaryCopyRowsReadBack() {
        func be(_ value: Int, bytes: Int) -> [UInt8] { (0..<bytes).reversed().map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        func field(_ bytes: [UInt8]) -> [UInt8] { be(bytes.count, bytes: 4) + bytes }
        let stamp = withUnsafeBytes(of: (1_733_000_000.25).bitPattern.bigEndian) { Array($0) }
        let row = be(3, bytes: 2) + field(Array("user\t\\1".utf8)) + field([0, 255, 7]) + field(stamp)
        let read = row.withUnsafeBytes { CopyBinary.userRow($0) }
        #expect(read?.0 == "user\t\\1" && read?.1 == [0, 255, 7] && read?.2 == 1_733_000_000.25)
        // The trailer, a cut row, a NULL and a wrong field count are skipped, never trapped on.
        for bad in [
            be(-1, bytes: 2), Array(row.dropLast()), be(3, bytes: 2) + field([1]) + be(-1, bytes: 4) + field(stamp), be(2, bytes: 2) + field([1]) + field([2])
        ] {
            #expect(bad.withUnsafeBytes { CopyBinary.userRow($0) } == nil)
        }
        #expect(be(-1, bytes: 2).withUnsafeBytes { CopyBinary.isTrailer($0) } && !row.withUnsafeBytes { CopyBinary.isTrailer($0) })
        let header = CopyBinary.signature + be(0, bytes: 4) + be(0, bytes: 4) + row
        #expect(header.withUnsafeBytes { CopyBinary.skipHeader($0)?.count } == row.count)
        #expect(Array("PGCOPX\n".utf8).withUnsafeBytes { CopyBinary.skipHeader($0) } == nil)
    }
}
