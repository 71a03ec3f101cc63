import Foundation
import Testing

@testable import RecurCore

/// DeLong against its definition: the reference below is written from Sun & Xu (2014), section 2
/// (DeLong et al. 1988), pair by pair with the kernel ψ, sharing no code with `DeLong`.
@Suite struct DeLongTests {
    struct Reference {
        var aucs: [Double]
        var s: [[Double]]
    }

    static func reference(_ scores: [[Double]], _ labels: [UInt8]) -> Reference {
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : (x == y ? 0.5 : 0) }
        let xs = scores.map { s in labels.indices.filter { labels[$0] == 1 }.map { s[$0] } }
        let ys = scores.map { s in labels.indices.filter { labels[$0] == 0 }.map { s[$0] } }
        let m = xs[0].count, n = ys[0].count
        var v10 = [[Double]](), v01 = [[Double]](), aucs = [Double]()
        for r in scores.indices {
            v10.append(xs[r].map { x in ys[r].reduce(0) { $0 + psi(x, $1) } / Double(n) })
            v01.append(ys[r].map { y in xs[r].reduce(0) { $0 + psi($1, y) } / Double(m) })
            aucs.append(v10[r].reduce(0, +) / Double(m))
        }
        var s = [[Double]](repeating: [Double](repeating: 0, count: scores.count), count: scores.count)
        for r in scores.indices {
            for c in scores.indices {
                var s10 = 0.0, s01 = 0.0
                for i in 0..<m { s10 += (v10[r][i] - aucs[r]) * (v10[c][i] - aucs[c]) }
                for j in 0..<n { s01 += (v01[r][j] - aucs[r]) * (v01[c][j] - aucs[c]) }
                s[r][c] = s10 / Double(m - 1) / Double(m) + s01 / Double(n - 1) / Double(n)
            }
        }
        return Reference(aucs: aucs, s: s)
    }

    /// Three models on 300 rows whose scores take few distinct values, so that ties are everywhere.
    static func tiedExample(seed: UInt64, rows: Int = 300) -> ([[Double]], [UInt8]) {
        var random = SeededRandom(seed: seed)
        var labels = [UInt8](), a = [Double](), b = [Double](), c = [Double]()
        for _ in 0..<rows {
            let y: UInt8 = random.unit() < 0.3 ? 1 : 0
            labels.append(y)
            let signal = Double(y)
            a.append((signal * 1.5 + random.normal()).rounded())  // about 8 distinct values
            b.append(((signal + random.normal()) * 2).rounded() / 2)  // halves
            c.append(random.unit() < 0.5 ? a.last! : (random.normal() * 3).rounded())
        }
        return ([a, b, c], labels)
    }

    @Test func aucsAndCovarianceEqualTheDefinitionWithManyTies() {
        for seed in [1, 2, 3] as [UInt64] {
            let (scores, labels) = Self.tiedExample(seed: seed)
            let fast = DeLong(scores: scores, labels: labels), slow = Self.reference(scores, labels)
            for r in 0..<3 {
                #expect(abs(fast.aucs[r] - slow.aucs[r]) < 1e-12)
                for c in 0..<3 { #expect(abs(fast.covariance(r, c) - slow.s[r][c]) < 1e-12, "seed \(seed) S[\(r)][\(c)]") }
            }
            // The paired test from the reference's numbers.
            for (i, j) in [(1, 0), (2, 0), (2, 1)] {
                let v = slow.s[i][i] + slow.s[j][j] - 2 * slow.s[i][j]
                let z = (slow.aucs[i] - slow.aucs[j]) / v.squareRoot()
                let p = 2 * (1 - 0.5 * erfc(-abs(z) / 2.0.squareRoot()))
                let test = fast.pairedTest(i, against: j)
                #expect(abs(test.z - z) < 1e-9)
                #expect(abs(test.p - p) < 1e-9, "p \(test.p) vs \(p)")
            }
        }
    }

    @Test func aHandWorkedExample() {
        // Positives 0.9, 0.8, 0.4; negatives 0.8, 0.3. Pairs: (0.9>0.8, 0.9>0.3, 0.8=0.8, 0.8>0.3, 0.4<0.8, 0.4>0.3) = 4.5 of 6.
        let d = DeLong(scores: [[0.9, 0.8, 0.4, 0.8, 0.3]], labels: [1, 1, 1, 0, 0])
        #expect(abs(d.aucs[0] - 0.75) < 1e-15)
        // V10 = (1, 0.75, 0.5): var 1/16; V01 = (1/2, 1): var 1/8. S = (1/16)/3 + (1/8)/2.
        #expect(abs(d.variance(0) - (1.0 / 48 + 1.0 / 16)) < 1e-15)
    }

    @Test func aModelAgainstItselfAndSwappedPairs() {
        let (scores, labels) = Self.tiedExample(seed: 9)
        let same = DeLong(scores: [scores[0], scores[0]], labels: labels).pairedTest(1, against: 0)
        #expect(same.difference == 0 && same.p == 1)
        let d = DeLong(scores: scores, labels: labels)
        let ab = d.pairedTest(1, against: 0), ba = d.pairedTest(0, against: 1)
        #expect(ab.difference == -ba.difference && abs(ab.p - ba.p) < 1e-15 && ab.difference != 0)
        #expect(abs(ab.low + ba.high) < 1e-15)
    }

    @Test func normalQuantilesAreExact() {
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) < 1e-13)
        #expect(abs(NormalDistribution.quantile(0.5)) < 1e-15)
        #expect(abs(NormalDistribution.quantile(0.001) + 3.090232306167813) < 1e-12)
        #expect(abs(NormalDistribution.twoSidedP(1.959963984540054) - 0.05) < 1e-14)
    }

    @Test func theBootstrapAgreesWithDeLongOnALargeExample() {
        var random = SeededRandom(seed: 4)
        var labels = [UInt8](), a = [Double](), b = [Double]()
        for _ in 0..<20_000 {
            let y: UInt8 = random.unit() < 0.2 ? 1 : 0
            let shared = random.normal()
            labels.append(y)
            a.append(Double(y) * 0.8 + shared + 0.5 * random.normal())
            b.append(Double(y) * 0.9 + shared + 0.5 * random.normal())
        }
        let d = DeLong(scores: [a, b], labels: labels)
        let boot = PairedBootstrap(scores: [a, b], labels: labels, replicates: 400, seed: 11)
        let di = d.interval(1), bi = boot.interval(1)
        #expect(abs(di.low - bi.low) < 0.003 && abs(di.high - bi.high) < 0.003, "DeLong \(di) bootstrap \(bi)")
        let dt = d.pairedTest(1, against: 0), bt = boot.pairedTest(1, against: 0, difference: dt.difference)
        #expect(abs(dt.standardError - bt.standardError) / dt.standardError < 0.15, "se \(dt.standardError) vs \(bt.standardError)")
        #expect(abs(dt.low - bt.low) < 0.003 && abs(dt.high - bt.high) < 0.003)
        // Seeded: the same seed gives the same replicates.
        #expect(
            PairedBootstrap(scores: [a, b], labels: labels, replicates: 20, seed: 11)
                == PairedBootstrap(scores: [a, b], labels: labels, replicates: 20, seed: 11))
    }

    @Test func comparisonAgreementMeasures() {
        let (scores, labels) = Self.tiedExample(seed: 5)
        let c = ScoreComparison(names: ["a", "b", "a-again"], scores: [scores[0], scores[1], scores[0]], labels: labels)
        #expect(c.models[2].spearmanWithBaseline > 0.999999 && c.models[2].topDecileOverlap == 1)
        #expect(c.models[2].versusBaseline?.p == 1)
        #expect(c.models[1].spearmanWithBaseline < 0.99)
        #expect(c.models[0].captureTopDecile > 0 && c.models[0].captureTopDecile <= 1)
    }
}
