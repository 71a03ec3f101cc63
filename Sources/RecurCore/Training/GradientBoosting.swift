import Dispatch
import Foundation

/// Gradient-boosted trees for logistic loss on binned features: histogram splits with the subtraction
/// trick, leaf-wise growth, L2 on leaf values, shrinkage, early stopping on a validation split.
public enum GradientBoosting {
    /// Training parameters, named as LightGBM names them.
    public struct Parameters: Sendable, Codable, Equatable {
        public var trees = 200
        public var leaves = 31
        public var learningRate = 0.1
        public var minSamplesPerLeaf = 20
        public var l2 = 0.0
        public var bins = 255
        public var threads = 2
        /// Stop when validation loss has not improved for this many rounds; 0 disables it.
        public var earlyStoppingRounds = 20
        /// Share of training rows held out for early stopping.
        public var validationFraction = 0.1
        public init() {}

        enum CodingKeys: String, CodingKey {
            case trees, leaves, learningRate = "learning_rate", minSamplesPerLeaf = "min_samples_per_leaf", l2, bins, threads
            case earlyStoppingRounds = "early_stopping_rounds", validationFraction = "validation_fraction"
        }
    }

    public static func fit(
        features x: [Double], rows n: Int, names: [String], labels y: [UInt8],
        parameters: Parameters, seed: UInt64 = 1
    ) throws -> (TreeEnsemble, [String]) {
        try fit(rows: InMemoryRows(values: x, rows: n, width: names.count), names: names, labels: y, parameters: parameters, seed: seed)
    }

    /// Fits on rows read batch by batch (in memory or spilled to disk): they are read twice, for
    /// the bins' cuts and for the bins, and the fit then holds one byte per row and feature.
    public static func fit(
        rows source: some FeatureRows, names: [String], labels y: [UInt8],
        parameters: Parameters, seed: UInt64 = 1
    ) throws -> (TreeEnsemble, [String]) {
        let p = names.count, n = source.rowCount
        precondition(source.width == p && y.count == n)
        let binner = try FeatureBins(rows: source, maxBins: min(255, max(2, parameters.bins)))
        let data = try BinnedHistograms(rows: source, binner: binner)
        var random = SeededRandom(seed: seed)
        var isValidation = [Bool](repeating: false, count: n)
        if parameters.earlyStoppingRounds > 0 && parameters.validationFraction > 0 && n >= 100 {
            for i in 0..<n { isValidation[i] = random.unit() < parameters.validationFraction }
        }
        let trainRows = (0..<n).filter { !isValidation[$0] }.map { Int32($0) }
        let validRows = (0..<n).filter { isValidation[$0] }
        let positives = trainRows.reduce(0.0) { $0 + Double(y[Int($1)]) }
        let rate = min(max(positives / Double(max(1, trainRows.count)), 1e-6), 1 - 1e-6)
        let base = log(rate / (1 - rate))
        var raw = [Double](repeating: base, count: n)
        // Gradient and hessian of each row side by side: the histogram loop reads both at once.
        var gradientPairs = [Float](repeating: 0, count: 2 * n)
        var trees = [Tree]()
        var importance = [Double](repeating: 0, count: p)
        var bestLoss = Double.infinity, bestCount = 0
        var notes = [String]()
        let grower = TreeGrower(data: data, parameters: parameters)
        for round in 0..<max(0, parameters.trees) {
            Self.computeGradients(rows: trainRows, raw: raw, labels: y, into: &gradientPairs, threads: parameters.threads)
            let (tree, gains, leaves) = grower.grow(rows: trainRows, gradientPairs: gradientPairs)
            for (j, g) in gains { importance[j] += g }
            // Training rows already know their leaf; validation rows walk the tree through their bins.
            for (rows, value) in leaves { for r in rows { raw[Int(r)] += value } }
            for i in validRows { raw[i] += tree.value(binned: data, row: i) }
            trees.append(tree)
            if !validRows.isEmpty {
                var loss = 0.0
                for i in validRows {
                    let q = min(max(sigmoid(raw[i]), 1e-15), 1 - 1e-15)
                    loss -= y[i] == 1 ? log(q) : log(1 - q)
                }
                if loss < bestLoss - 1e-12 { bestLoss = loss; bestCount = trees.count }
                if round + 1 - bestCount >= parameters.earlyStoppingRounds {
                    notes.append("early stopping after \(trees.count) trees; kept the best \(bestCount)")
                    break
                }
            }
        }
        if !validRows.isEmpty && bestCount > 0 && bestCount < trees.count { trees.removeLast(trees.count - bestCount) }
        let ensemble = TreeEnsemble(featureNames: names, baseScore: base, trees: trees.map { $0.withCuts(binner) }, gainImportance: importance)
        return (ensemble, notes)
    }
}

extension GradientBoosting {
    /// Logistic-loss gradient and hessian per training row, split across threads (exp is the cost).
    static func computeGradients(rows: [Int32], raw: [Double], labels: [UInt8], into pairs: inout [Float], threads: Int) {
        let t = max(1, min(threads, rows.count / 50_000 + 1))
        let chunk = (rows.count + t - 1) / t
        pairs.withUnsafeMutableBufferPointer { out in
            let target = UnsafeMutableSendableBuffer(out)
            rows.withUnsafeBufferPointer { r in
                raw.withUnsafeBufferPointer { z in
                    labels.withUnsafeBufferPointer { y in
                        let rb = UnsafeSendable(r), zb = UnsafeSendable(z), yb = UnsafeSendable(y)
                        let work: @Sendable (Int) -> Void = { part in
                            for k in (part * chunk)..<min(rb.buffer.count, (part + 1) * chunk) {
                                let i = Int(rb.buffer[k])
                                let q = sigmoid(zb.buffer[i])
                                target.buffer[2 * i] = Float(q - Double(yb.buffer[i]))
                                target.buffer[2 * i + 1] = Float(max(q * (1 - q), 1e-16))
                            }
                        }
                        if t == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: t, execute: work) }
                    }
                }
            }
        }
    }
}

/// A mutable buffer handed to worker threads that write disjoint parts of it.
struct UnsafeMutableSendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// One regression tree during training: splits on bins.
struct Tree {
    var feature: [Int32] = []
    var splitBin: [UInt8] = []
    var missingLeft: [Bool] = []
    var left: [Int32] = []
    var right: [Int32] = []
    var value: [Double] = []

    /// Leaves have feature −1.
    func value(binned data: BinnedHistograms, row: Int) -> Double {
        var node = 0
        while feature[node] >= 0 {
            let b = data.bin(row: row, feature: Int(feature[node]))
            let goLeft = b == 0 ? missingLeft[node] : b <= splitBin[node]
            node = Int(goLeft ? left[node] : right[node])
        }
        return value[node]
    }

    func withCuts(_ binner: FeatureBins) -> TreeEnsemble.Tree {
        let thresholds = (0..<feature.count).map { n -> Double in
            guard feature[n] >= 0 else { return 0 }
            let cuts = binner.cuts[Int(feature[n])]
            let index = Int(splitBin[n]) - 1
            return index < cuts.count ? cuts[index] : .infinity
        }
        return TreeEnsemble.Tree(feature: feature, threshold: thresholds, missingLeft: missingLeft, left: left, right: right, value: value)
    }
}
