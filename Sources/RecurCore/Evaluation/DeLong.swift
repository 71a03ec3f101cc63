import Foundation

/// DeLong, DeLong & Clarke-Pearson (1988) AUCs and their covariance for models scored on the same
/// rows, computed with Sun & Xu's (2014) midrank algorithm in O(k·n log n) rather than O(k·m·n).
/// Higher scores mean "more likely positive"; tied scores count one half, as in the Mann-Whitney U.
public struct DeLong: Sendable, Equatable {
    /// ROC AUC of each model.
    public var aucs: [Double]
    /// Covariance matrix of the AUC estimates, row-major k × k: S10/m + S01/n.
    public var covariance: [Double]
    public var positives: Int
    public var negatives: Int

    public var models: Int { aucs.count }
    public func variance(_ i: Int) -> Double { covariance[i * models + i] }
    public func covariance(_ i: Int, _ j: Int) -> Double { covariance[i * models + j] }

    /// `scores[k][r]`: model k's score of row r; `labels[r]` is 1 for a positive.
    public init(scores: [[Double]], labels: [UInt8]) {
        let positiveRows = labels.indices.filter { labels[$0] == 1 }
        let negativeRows = labels.indices.filter { labels[$0] != 1 }
        let m = positiveRows.count, n = negativeRows.count, k = scores.count
        positives = m
        negatives = n
        guard m > 0, n > 0 else {
            aucs = [Double](repeating: .nan, count: k)
            covariance = [Double](repeating: .nan, count: k * k)
            return
        }
        // V10[model][i]: the share of negatives that positive i outscores; V01[model][j]: the share of positives that outscore negative j.
        var v10 = [[Double]](), v01 = [[Double]]()
        var aucs = [Double]()
        for model in scores {
            let x = positiveRows.map { model[$0] }, y = negativeRows.map { model[$0] }
            let tx = Self.midranks(x), ty = Self.midranks(y), tz = Self.midranks(x + y)
            var sum = 0.0
            var a = [Double](repeating: 0, count: m), b = [Double](repeating: 0, count: n)
            for i in 0..<m { a[i] = (tz[i] - tx[i]) / Double(n); sum += tz[i] }
            for j in 0..<n { b[j] = 1 - (tz[m + j] - ty[j]) / Double(m) }
            aucs.append((sum - Double(m) * Double(m + 1) / 2) / (Double(m) * Double(n)))
            v10.append(a)
            v01.append(b)
        }
        self.aucs = aucs
        var s = [Double](repeating: 0, count: k * k)
        for r in 0..<k {
            for c in r..<k {
                let value =
                    Self.sampleCovariance(v10[r], v10[c], aucs[r], aucs[c]) / Double(m)
                    + Self.sampleCovariance(v01[r], v01[c], aucs[r], aucs[c]) / Double(n)
                s[r * k + c] = value
                s[c * k + r] = value
            }
        }
        covariance = s
    }

    /// Midranks (1-based; ties share their average rank).
    static func midranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = rank }
            i = j + 1
        }
        return ranks
    }

    /// Sample covariance with the n − 1 denominator; the means of V10 and V01 are the AUC itself.
    private static func sampleCovariance(_ a: [Double], _ b: [Double], _ meanA: Double, _ meanB: Double) -> Double {
        guard a.count > 1 else { return 0 }
        var sum = 0.0
        for i in a.indices { sum += (a[i] - meanA) * (b[i] - meanB) }
        return sum / Double(a.count - 1)
    }

    /// The 95% (or `level`) interval of one AUC: normal around the estimate, clipped to [0, 1] as pROC does.
    public func interval(_ i: Int, level: Double = 0.95) -> (low: Double, high: Double) {
        let z = NormalDistribution.quantile(1 - (1 - level) / 2), se = variance(i).squareRoot()
        return (max(0, aucs[i] - z * se), min(1, aucs[i] + z * se))
    }

    /// The paired test of model `i` against model `j` (the baseline): AUC_i − AUC_j, its interval,
    /// z and the two-sided p-value. Identical scores give difference 0 and p = 1.
    public func pairedTest(_ i: Int, against j: Int, level: Double = 0.95) -> PairedTest {
        let difference = aucs[i] - aucs[j]
        let variance = max(0, self.variance(i) + self.variance(j) - 2 * covariance(i, j))
        let se = variance.squareRoot()
        let zq = NormalDistribution.quantile(1 - (1 - level) / 2)
        // Rounding can leave a difference of 1e-17 over a variance of 1e-33: same scores, no evidence.
        let same = abs(difference) <= 1e-15 && se <= 1e-12
        let z = same ? 0 : (se > 0 ? difference / se : (difference == 0 ? 0 : (difference < 0 ? -Double.infinity : .infinity)))
        return PairedTest(
            difference: difference, standardError: se, low: difference - zq * se, high: difference + zq * se,
            z: z, p: same ? 1 : NormalDistribution.twoSidedP(z))
    }
}

/// A paired comparison of two AUCs on the same rows.
public struct PairedTest: Sendable, Equatable, Codable {
    public var difference: Double
    public var standardError: Double
    public var low: Double
    public var high: Double
    public var z: Double
    public var p: Double

    enum CodingKeys: String, CodingKey { case difference, standardError = "standard_error", low = "ci_low", high = "ci_high", z, p }
}
