/// A trained tree ensemble in the artifact's JSON form: raw thresholds, so scoring needs no bins.
public struct TreeEnsemble: Sendable, Codable, Equatable {
    /// One tree as parallel arrays; a node with feature −1 is a leaf holding `value`.
    public struct Tree: Sendable, Codable, Equatable {
        public var feature: [Int32]
        /// Go left when the value is ≤ threshold.
        public var threshold: [Double]
        public var missingLeft: [Bool]
        public var left: [Int32]
        public var right: [Int32]
        public var value: [Double]

        enum CodingKeys: String, CodingKey { case feature, threshold, missingLeft = "missing_left", left, right, value }
    }

    public var featureNames: [String]
    public var baseScore: Double
    public var trees: [Tree]
    /// Total split gain per feature, in feature order.
    public var gainImportance: [Double]

    enum CodingKeys: String, CodingKey { case featureNames = "feature_names", baseScore = "base_score", trees, gainImportance = "gain_importance" }

    /// Log-odds for one row of raw features (NaN = missing).
    public func rawScore(_ x: UnsafeBufferPointer<Double>) -> Double {
        var sum = baseScore
        for tree in trees {
            var node = 0
            while tree.feature[node] >= 0 {
                let v = x[Int(tree.feature[node])]
                let goLeft = v.isNaN ? tree.missingLeft[node] : v <= tree.threshold[node]
                node = Int(goLeft ? tree.left[node] : tree.right[node])
            }
            sum += tree.value[node]
        }
        return sum
    }

    public func probability(_ x: UnsafeBufferPointer<Double>) -> Double { sigmoid(rawScore(x)) }

    /// Per-feature contributions along each tree's path (Saabas): how each split moved the expected value.
    public func contributions(_ x: [Double]) -> [Double] {
        var out = [Double](repeating: 0, count: featureNames.count)
        for tree in trees {
            // Expected value of a subtree: the mean of its leaves (unweighted; counts are not stored).
            func expected(_ node: Int) -> Double {
                tree.feature[node] < 0 ? tree.value[node] : (expected(Int(tree.left[node])) + expected(Int(tree.right[node]))) / 2
            }
            var node = 0
            var current = expected(0)
            while tree.feature[node] >= 0 {
                let f = Int(tree.feature[node])
                let v = x[f]
                let goLeft = v.isNaN ? tree.missingLeft[node] : v <= tree.threshold[node]
                node = Int(goLeft ? tree.left[node] : tree.right[node])
                let next = expected(node)
                out[f] += next - current
                current = next
            }
        }
        return out
    }
}
