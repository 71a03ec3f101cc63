import Foundation

/// A paired, stratified, seeded bootstrap of AUCs: each replicate redraws the positives and the
/// negatives with replacement (as pROC's default `boot.stratified`) and scores every model on the
/// same redrawn rows, so differences keep their pairing. The same seed always gives the same answer.
public struct PairedBootstrap: Sendable, Equatable {
    public var replicates: Int
    public var seed: UInt64
    /// Per replicate, per model AUC: `aucs[r * models + k]`.
    public var aucs: [Double]
    public var models: Int

    public init(scores: [[Double]], labels: [UInt8], replicates: Int, seed: UInt64) {
        self.replicates = replicates
        self.seed = seed
        models = scores.count
        let positiveRows = labels.indices.filter { labels[$0] == 1 }
        let negativeRows = labels.indices.filter { labels[$0] != 1 }
        let m = positiveRows.count, n = negativeRows.count
        guard m > 0, n > 0, replicates > 0 else { aucs = []; return }
        // Each model's rows in ascending score order, cut into groups of equal scores.
        let groupings = scores.map { model -> (order: [Int32], groupEnds: [Int32]) in
            let order = labels.indices.sorted { model[$0] < model[$1] }
            var ends = [Int32]()
            for i in order.indices where i + 1 == order.count || model[order[i + 1]] != model[order[i]] { ends.append(Int32(i + 1)) }
            return (order.map { Int32($0) }, ends)
        }
        var random = SeededRandom(seed: seed)
        var weight = [Int32](repeating: 0, count: labels.count)
        var result = [Double]()
        result.reserveCapacity(replicates * scores.count)
        for _ in 0..<replicates {
            for i in weight.indices { weight[i] = 0 }
            for _ in 0..<m { weight[positiveRows[Int(random.next() % UInt64(m))]] += 1 }
            for _ in 0..<n { weight[negativeRows[Int(random.next() % UInt64(n))]] += 1 }
            for (order, ends) in groupings {
                var start = 0
                var negativesBelow = 0.0, sum = 0.0
                for end in ends {
                    var positiveWeight = 0.0, negativeWeight = 0.0
                    for t in start..<Int(end) {
                        let row = Int(order[t])
                        if labels[row] == 1 { positiveWeight += Double(weight[row]) } else { negativeWeight += Double(weight[row]) }
                    }
                    sum += positiveWeight * (negativesBelow + negativeWeight / 2)
                    negativesBelow += negativeWeight
                    start = Int(end)
                }
                result.append(sum / (Double(m) * Double(n)))
            }
        }
        aucs = result
    }

    /// Percentile interval of model `k`'s AUC.
    public func interval(_ k: Int, level: Double = 0.95) -> (low: Double, high: Double) {
        Self.percentiles((0..<replicates).map { aucs[$0 * models + k] }, level: level)
    }

    /// Model `i` against the baseline `j`: percentile interval of the difference, and the p-value
    /// pROC's bootstrap test gives (the difference over the replicates' standard deviation, as z).
    public func pairedTest(_ i: Int, against j: Int, difference: Double, level: Double = 0.95) -> PairedTest {
        let differences = (0..<replicates).map { aucs[$0 * models + i] - aucs[$0 * models + j] }
        let mean = differences.reduce(0, +) / Double(max(1, differences.count))
        let sd = (differences.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, differences.count - 1))).squareRoot()
        let (low, high) = Self.percentiles(differences, level: level)
        let z = sd > 0 ? difference / sd : 0
        return PairedTest(difference: difference, standardError: sd, low: low, high: high, z: z, p: sd > 0 ? NormalDistribution.twoSidedP(z) : 1)
    }

    /// Quantiles by linear interpolation between order statistics (R's type 7, numpy's default).
    static func percentiles(_ values: [Double], level: Double) -> (Double, Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let h = Double(sorted.count - 1) * q
            let lower = Int(h.rounded(.down)), upper = min(sorted.count - 1, lower + 1)
            return sorted[lower] + (h - Double(lower)) * (sorted[upper] - sorted[lower])
        }
        return (quantile((1 - level) / 2), quantile(1 - (1 - level) / 2))
    }
}
