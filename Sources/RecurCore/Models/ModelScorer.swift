/// A model artifact laid out for scoring one row at a time: the trees of an ensemble in one flat
/// node block, the logistic standardisation and coefficients in another. Built once when a model is
/// loaded and never changed; gives exactly `ModelArtifact.probability`. Walking the artifact's own
/// form copies each tree's arrays, and the reference counting of those shared arrays, bouncing
/// between cores, cost more than the arithmetic.
public final class ModelScorer: @unchecked Sendable {
    /// A tree node; a leaf has `feature` −1 and its value in `threshold`.
    struct Node {
        var feature: Int32
        var missingLeft: Bool
        var left: Int32
        var right: Int32
        var threshold: Double
    }

    private enum Kind { case logistic, trees, buyTillYouDie, none }

    private let kind: Kind
    private let calibration: Calibrator?
    private let buyTillYouDie: BuyTillYouDieModel?
    private let btydFeatures: BuyTillYouDieModel?
    private let inputCount: Int
    private let base: Double
    /// Logistic: mean, scale and coefficient of each feature, in feature order.
    private let weights: UnsafeMutableBufferPointer<Double>
    private let roots: UnsafeMutableBufferPointer<Int32>
    private let nodes: UnsafeMutableBufferPointer<Node>
    /// Trees: each feature's split thresholds, sorted and distinct. The score only changes when a
    /// feature's value passes one of them.
    private let splits: [[Double]]

    public init(_ artifact: ModelArtifact) {
        calibration = artifact.calibration
        buyTillYouDie = artifact.bgnbd
        btydFeatures = artifact.btydFeatures
        inputCount = artifact.inputNames.count
        var weights = [Double](), roots = [Int32](), nodes = [Node]()
        var splits = [Set<Double>](repeating: [], count: artifact.inputNames.count)
        if artifact.kind == .logistic, let m = artifact.logistic {
            kind = .logistic
            base = m.intercept
            for j in m.coefficients.indices { weights += [m.means[j], m.scales[j], m.coefficients[j]] }
        } else if artifact.kind == .gbdt, let ensemble = artifact.gbdt {
            kind = .trees
            base = ensemble.baseScore
            for tree in ensemble.trees {
                let offset = Int32(nodes.count)
                roots.append(offset)
                for i in tree.feature.indices {
                    let leaf = tree.feature[i] < 0
                    nodes.append(
                        Node(
                            feature: leaf ? -1 : tree.feature[i], missingLeft: tree.missingLeft[i],
                            left: leaf ? 0 : tree.left[i] + offset, right: leaf ? 0 : tree.right[i] + offset,
                            threshold: leaf ? tree.value[i] : tree.threshold[i]))
                    if !leaf && Int(tree.feature[i]) < splits.count { splits[Int(tree.feature[i])].insert(tree.threshold[i]) }
                }
            }
        } else if artifact.kind.isBuyTillYouDie, artifact.bgnbd != nil {
            kind = .buyTillYouDie
            base = .nan
        } else {
            kind = .none
            base = .nan
        }
        self.weights = Self.copy(weights)
        self.roots = Self.copy(roots)
        self.nodes = Self.copy(nodes)
        self.splits = kind == .trees ? splits.map { $0.sorted() } : []
    }

    /// Whether the score is a step function of the features (trees), so that it stays exactly the
    /// same until a feature passes a split; a logistic score moves with every feature value.
    /// Derived BG/NBD inputs move with every day of recency, so trees that read them are not.
    public var isPiecewiseConstant: Bool { kind == .trees && btydFeatures == nil }

    /// The smallest split on `feature` at or above `value`: the score cannot change while the
    /// feature stays at most that (a split sends values at most its threshold left). Nil when none.
    public func nextSplit(feature: Int, atOrAbove value: Double) -> Double? {
        guard feature < splits.count, !value.isNaN else { return nil }
        let thresholds = splits[feature]
        var low = 0, high = thresholds.count
        while low < high {
            let middle = (low + high) / 2
            if thresholds[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low < thresholds.count ? thresholds[low] : nil
    }

    deinit {
        weights.deallocate()
        roots.deallocate()
        nodes.deallocate()
    }

    private static func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
        _ = buffer.initialize(from: array)
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
    }

    /// Probability of a purchase within the horizon, for features in the model's order (NaN = missing).
    public func probability(_ x: UnsafeBufferPointer<Double>) -> Double {
        let raw: Double
        if let btydFeatures {
            let derived = btydFeatures.derivedFeatures(x)
            raw = withUnsafeTemporaryAllocation(of: Double.self, capacity: inputCount) { inputs in
                for i in 0..<x.count { inputs[i] = x[i] }
                for (k, v) in derived.enumerated() { inputs[x.count + k] = v }
                return uncalibrated(UnsafeBufferPointer(inputs))
            }
        } else {
            raw = uncalibrated(x)
        }
        return Calibrator.strictlyInside(calibration?.apply(raw) ?? raw)
    }

    private func uncalibrated(_ x: UnsafeBufferPointer<Double>) -> Double {
        switch kind {
        case .logistic:
            var eta = base
            for j in 0..<weights.count / 3 {
                let v = x[j]
                if !v.isNaN { eta += weights[3 * j + 2] * (v - weights[3 * j]) / weights[3 * j + 1] }
            }
            return sigmoid(eta)
        case .trees:
            var sum = base
            for root in roots {
                var node = nodes[Int(root)]
                while node.feature >= 0 {
                    let v = x[Int(node.feature)]
                    let goLeft = v <= node.threshold || (v.isNaN && node.missingLeft)
                    node = nodes[Int(goLeft ? node.left : node.right)]
                }
                sum += node.threshold
            }
            return sigmoid(sum)
        case .buyTillYouDie:
            return buyTillYouDie!.probability(x)
        case .none:
            return .nan
        }
    }
}
