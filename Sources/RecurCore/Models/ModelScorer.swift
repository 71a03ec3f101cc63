/// A model artifact laid out for scoring one row at a time: the trees of an ensemble interleaved in
/// one flat node block (`InterleavedTrees`), the logistic standardisation and coefficients in
/// another. Built once when a model is loaded and never changed; gives exactly
/// `ModelArtifact.probability`. Walking the artifact's own form copies each tree's arrays, and the
/// reference counting of those shared arrays, bouncing between cores, cost more than the arithmetic.
public final class ModelScorer: @unchecked Sendable {
    private enum Kind { case logistic, trees, none }

    private let kind: Kind
    private let base: Double
    /// Logistic: mean, scale and coefficient of each feature, in feature order.
    private let weights: UnsafeMutableBufferPointer<Double>
    private let trees: InterleavedTrees?

    public init(_ artifact: ModelArtifact) {
        var weights = [Double]()
        if artifact.kind == .logistic, let m = artifact.logistic {
            kind = .logistic
            base = m.intercept
            for j in m.coefficients.indices { weights += [m.means[j], m.scales[j], m.coefficients[j]] }
            trees = nil
        } else if artifact.kind == .gbdt, let ensemble = artifact.gbdt {
            kind = .trees
            base = ensemble.baseScore
            trees = InterleavedTrees(ensemble)
        } else {
            kind = .none
            base = .nan
            trees = nil
        }
        self.weights = Self.copy(weights)
    }

    deinit {
        weights.deallocate()
    }

    private static func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
        _ = buffer.initialize(from: array)
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
    }

    /// Probability of a purchase within the horizon, for features in the model's order (NaN = missing).
    public func probability(_ x: UnsafeBufferPointer<Double>) -> Double {
        switch kind {
        case .logistic:
            var eta = base
            for j in 0..<weights.count / 3 {
                let v = x[j]
                if !v.isNaN { eta += weights[3 * j + 2] * (v - weights[3 * j]) / weights[3 * j + 1] }
            }
            return sigmoid(eta)
        case .trees:
            return sigmoid(trees!.rawScore(x, base: base))
        case .none:
            return .nan
        }
    }
}
