import Testing

@testable import RecurCore

/// The histogram and partition paths that only large leaves take (several threads).
struct BinnedHistogramsTests {
    /// 100,000 rows of three features, one with missing values, and every other row in the leaf.
    static func fixture() throws -> (BinnedHistograms, rows: [Int32], pairs: [Float], x: [Double]) {
        var random = SeededRandom(seed: 5)
        let n = 100_000, p = 3
        var x = [Double]()
        for _ in 0..<n {
            x.append((random.unit() * 40).rounded())
            x.append(random.unit() < 0.2 ? .nan : random.unit())
            x.append(random.unit() < 0.5 ? 0 : 1)
        }
        let rows = InMemoryRows(values: x, rows: n, width: p)
        let binner = try FeatureBins(rows: rows, maxBins: 255)
        let pairs = (0..<(2 * n)).map { k in Float(k % 2 == 0 ? random.unit() - 0.5 : random.unit() * 0.25) }
        let leaf = stride(from: 0, to: n, by: 2).map { Int32($0) }
        return (try BinnedHistograms(rows: rows, binner: binner), leaf, pairs, x)
    }

    @Test func bothLayoutsHoldEachValuesBin() throws {
        let (data, _, _, x) = try Self.fixture()
        let binner = try FeatureBins(rows: InMemoryRows(values: x, rows: data.rows, width: data.features), maxBins: 255)
        for row in stride(from: 0, to: data.rows, by: 7) {
            for j in 0..<data.features {
                let expected = binner.bin(x[row * data.features + j], feature: j)
                #expect(data.rowBins[row * data.features + j] == expected && data.bin(row: row, feature: j) == expected, "row \(row), feature \(j)")
            }
        }
    }

    @Test func partitionOnTwoThreadsKeepsEveryRowInOrder() throws {
        let (data, rows, _, _) = try Self.fixture()
        for (feature, bin, missingLeft) in [(0, UInt8(20), false), (1, UInt8(100), true), (1, UInt8(100), false), (2, UInt8(1), false)] {
            let (left, right) = data.partition(rows, feature: feature, bin: bin, missingLeft: missingLeft, threads: 2)
            let goesLeft = { (row: Int32) -> Bool in
                let b = data.bin(row: Int(row), feature: feature)
                return b == 0 ? missingLeft : b <= bin
            }
            #expect(left == rows.filter(goesLeft))
            #expect(right == rows.filter { !goesLeft($0) })
        }
    }

    @Test func histogramOnTwoThreadsMatchesOneAndItsTotals() throws {
        let (data, rows, pairs, _) = try Self.fixture()
        let (one, g1, h1) = data.histogram(rows, pairs, threads: 1)
        let (two, g2, h2) = data.histogram(rows, pairs, threads: 2)
        let g = rows.reduce(0.0) { $0 + Double(pairs[2 * Int($1)]) }, h = rows.reduce(0.0) { $0 + Double(pairs[2 * Int($1) + 1]) }
        #expect(abs(g1 - g) < 1e-9 && abs(g2 - g) < 1e-9 && abs(h1 - h) < 1e-9 && abs(h2 - h) < 1e-9)
        #expect(one.count == 2 * data.size && two.count == one.count)
        for k in one.indices { #expect(abs(one[k] - two[k]) <= 1e-3 * max(1, abs(one[k]))) }
        // Every feature's bins hold all the rows' gradient: nothing spills into a neighbour's bins.
        for j in 0..<data.features {
            let start = data.offsets[j], count = data.binCounts[j]
            let featureG = (start..<(start + count)).reduce(0.0) { $0 + Double(one[2 * $1]) }
            #expect(abs(featureG - g) < 1e-2)
        }
    }
}
