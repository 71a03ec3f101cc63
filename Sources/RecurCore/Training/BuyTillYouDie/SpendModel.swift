/// A Gamma-Gamma spend model read from a feature set: a user's repeat purchase days x and mean
/// spend per purchase day m̄ come from `purchase_days_all` and `purchase_amount_sum_all`, so the
/// online state answers it as it answers everything else.
///
/// m̄ counts the first purchase day too (the features keep no first-purchase amount); lifetimes'
/// summaries leave it out. Fitting and serving use the same definition, so the two agree.
public struct SpendModel: Sendable, Codable, Equatable {
    public static let inputs = ["purchase_days_all", "purchase_amount_sum_all"]

    public var model: GammaGamma
    public var inputIndices: [Int]
    /// The time of the RFM summary it was fitted on.
    public var summaryAsOf: String

    enum CodingKeys: String, CodingKey { case model, inputIndices = "input_indices", summaryAsOf = "summary_as_of" }

    public static func customer(_ features: UnsafeBufferPointer<Double>, _ i: [Int]) -> GammaGamma.Customer {
        let days = features[i[0]], amount = features[i[1]]
        guard days >= 2, amount.isFinite, amount > 0 else { return .init(frequency: 0, meanSpend: 0) }
        return .init(frequency: days - 1, meanSpend: amount / days)
    }

    /// E[spend per purchase] for the user these features describe.
    public func expectedSpend(_ features: UnsafeBufferPointer<Double>) -> Double { model.expectedSpend(Self.customer(features, inputIndices)) }

    /// Fits on the repeat purchasers among `rows` as of `asOf`.
    public static func fit(features: [Double], rows: Int, names: [String], asOf: String) throws -> SpendModel {
        let found = inputs.map { names.firstIndex(of: $0) }
        guard found.allSatisfy({ $0 != nil }) else {
            throw TrainingError.populationNeeds("Gamma-Gamma reads \(inputs.joined(separator: ", ")); use a feature set that has them")
        }
        let indices = found.map { $0! }
        let p = names.count
        var customers = [GammaGamma.Customer]()
        features.withUnsafeBufferPointer { all in
            for row in 0..<rows {
                let c = customer(UnsafeBufferPointer(rebasing: all[(row * p)..<((row + 1) * p)]), indices)
                if c.frequency > 0 { customers.append(c) }
            }
        }
        return SpendModel(model: try GammaGamma.fit(customers), inputIndices: indices, summaryAsOf: asOf)
    }
}
