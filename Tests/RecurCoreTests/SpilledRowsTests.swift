import Foundation
import Testing

@testable import RecurCore

/// The spill file a training set's rows go to: what is appended is read back, and nothing is left behind.
struct SpilledRowsTests {
    @Test func rowsPastTheBufferComeBackBitForBit() throws {
        let width = 7, rows = 50_000  // 2.8 MB: several flushes of the 1 MiB buffer
        let spill = try SpilledRows(width: width)
        var random = SeededRandom(seed: 3)
        var all = [Double]()
        for _ in 0..<rows {
            let row = (0..<width).map { _ in random.unit() < 0.1 ? Double.nan : random.unit() * 1e6 - 5e5 }
            all += row
            try row.withUnsafeBufferPointer { try spill.append($0) }
        }
        try spill.flush()
        #expect(spill.count == rows)
        for (first, count) in [(0, 1), (0, rows), (12_345, 9_999), (rows - 1, 1)] {
            var out = [Double](repeating: 0, count: count * width)
            try out.withUnsafeMutableBufferPointer { try spill.read(first: first, rows: count, into: $0.baseAddress!) }
            let expected = all[(first * width)..<((first + count) * width)]
            #expect(zip(out, expected).allSatisfy { $0.bitPattern == $1.bitPattern }, "rows \(first)..<\(first + count)")
        }
        var out = [Double](repeating: 0, count: 2 * width)
        #expect(throws: FileError.self) { try out.withUnsafeMutableBufferPointer { try spill.read(first: rows - 1, rows: 2, into: $0.baseAddress!) } }
        // The file was unlinked when it was made: the folder holds no trace of it.
        let left = try FileManager.default.contentsOfDirectory(atPath: spill.directory).filter { $0.hasPrefix("recur-training-rows-\(getpid())-") }
        #expect(left.isEmpty)
    }

    @Test func anUnwritableFolderIsRefusedByName() {
        do {
            _ = try SpilledRows(width: 3, directory: "/nonexistent-recur-folder")
            Issue.record("a missing folder was accepted")
        } catch {
            #expect("\(error)".contains("/nonexistent-recur-folder") && "\(error)".contains("TMPDIR"))
        }
    }

    @Test func inMemoryBatchesCoverEveryRowOnce() throws {
        let rows = InMemoryRows(values: (0..<(103 * 4)).map(Double.init), rows: 103, width: 4)
        var seen = [Double]()
        try rows.forEachBatch(maxRows: 10) { first, values in
            #expect(first * 4 == seen.count && values.count <= 40 && values.count % 4 == 0)
            seen += values
        }
        let all = try rows.materialized()
        #expect(seen == rows.values && all == rows.values)
    }
}
