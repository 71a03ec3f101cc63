/// What buy-till-you-die and spend models say about each evaluation row beyond a probability: the
/// expected purchase days in the horizon, and the expected spend per purchase day.
public struct ExpectedColumns: Sendable {
    /// One buy-till-you-die model's expectations, and each row's past repeat purchase days as it reads them.
    public struct Purchases: Sendable {
        public var model: String
        public var expected: [Double]
        public var pastFrequency: [Double]
    }

    /// One spend model's expected spend per purchase day, per row.
    public struct Spend: Sendable {
        public var model: String
        public var expected: [Double]
    }

    public var purchases: [Purchases] = []
    public var spend: Spend?

    public var isEmpty: Bool { purchases.isEmpty && spend == nil }

    /// The rows a model reads: its feature set's row-major features, their width, and for each
    /// evaluation row the index of its features.
    struct FeatureRows {
        var features: [Double]
        var width: Int
        var index: [Int]

        func map<T>(_ body: (UnsafeBufferPointer<Double>) -> T) -> [T] {
            features.withUnsafeBufferPointer { all in index.map { i in body(UnsafeBufferPointer(rebasing: all[(i * width)..<((i + 1) * width)])) } }
        }
    }

    /// The columns of the buy-till-you-die models among `models`, and of `spend`.
    static func compute(models: [ComparedModel], spend: ComparedModel?, rows: (ModelArtifact) -> FeatureRows) -> ExpectedColumns {
        var columns = ExpectedColumns()
        for model in models {
            guard let artifact = model.artifact, artifact.kind.isBuyTillYouDie, let purchases = artifact.bgnbd else { continue }
            let process = purchases.process
            let customers = rows(artifact).map { BuyTillYouDieModel.customer($0, purchases.inputIndices) }
            columns.purchases.append(
                Purchases(
                    model: model.name, expected: customers.map { process.expectedPurchases($0, within: purchases.horizonDays) },
                    pastFrequency: customers.map(\.frequency)))
        }
        if let spend, let artifact = spend.artifact, let model = artifact.spend {
            columns.spend = Spend(model: spend.name, expected: rows(artifact).map { model.expectedSpend($0) })
        }
        return columns
    }

    /// The columns of the rows `kept`, in that order.
    func rows(_ kept: [Int]) -> ExpectedColumns {
        var copy = self
        copy.purchases = purchases.map { c in Purchases(model: c.model, expected: kept.map { c.expected[$0] }, pastFrequency: kept.map { c.pastFrequency[$0] })
        }
        copy.spend = spend.map { s in Spend(model: s.model, expected: kept.map { s.expected[$0] }) }
        return copy
    }
}
