import Foundation

/// What a buy-till-you-die model answers about one customer.
public protocol PurchaseProcess: Sendable {
    func probabilityAlive(_ c: BetaGeometricNBD.Customer) -> Double
    func expectedPurchases(_ c: BetaGeometricNBD.Customer, within t: Double) -> Double
    func probabilityOfPurchase(_ c: BetaGeometricNBD.Customer, within t: Double) -> Double
}

extension BetaGeometricNBD: PurchaseProcess {}
extension ParetoNBD: PurchaseProcess {}

/// A BG/NBD (or Pareto/NBD) model as an artifact: it reads each user's purchase history from four
/// features of the set, counted in whole purchase days as lifetimes counts them, and scores the
/// probability of at least one purchase within the horizon.
public struct BuyTillYouDieModel: Sendable, Codable, Equatable {
    /// The features it reads, in this order: distinct purchase days, days since the first and the
    /// last purchase, days since the first event of any kind.
    public static let inputs = ["purchase_days_all", "days_since_first_purchase", "days_since_last_purchase", "days_since_first_event"]

    /// The BG/NBD, unless this is a Pareto/NBD model.
    public var model: BetaGeometricNBD?
    public var pareto: ParetoNBD?
    public var horizonDays: Double
    /// Where each of `inputs` sits in the artifact's feature order.
    public var inputIndices: [Int]
    /// Purchasers it was fitted on (users with no purchase yet are scored, not fitted).
    public var fittedCustomers: Int
    /// With `--btyd-features`: the spend model whose expected spend and value are features too.
    public var spend: SpendModel?
    /// With `--btyd-features`: the features it derives, in order; nil in artifacts that derived only the first two.
    public var derived: [DerivedFeature]?

    enum CodingKeys: String, CodingKey {
        case model, pareto, horizonDays = "horizon_days", inputIndices = "input_indices", fittedCustomers = "fitted_customers", spend
        case derived = "derived_features"
    }

    public init(model: BetaGeometricNBD? = nil, pareto: ParetoNBD? = nil, horizonDays: Double, inputIndices: [Int], fittedCustomers: Int) {
        self.model = model
        self.pareto = pareto
        self.horizonDays = horizonDays
        self.inputIndices = inputIndices
        self.fittedCustomers = fittedCustomers
    }

    /// The fitted process: Pareto/NBD when there is one, else the BG/NBD (an artifact holds one; the registry checks).
    public var process: any PurchaseProcess { pareto ?? model ?? BetaGeometricNBD(r: .nan, alpha: .nan, a: .nan, b: .nan) }

    /// The indices of `inputs` in `names`, or the names that are missing.
    public static func indices(in names: [String]) -> Result<[Int], TrainingError> {
        let found = inputs.map { names.firstIndex(of: $0) }
        let missing = zip(inputs, found).filter { $0.1 == nil }.map(\.0)
        guard missing.isEmpty else { return .failure(.populationNeeds("BG/NBD reads \(missing.joined(separator: ", ")); use a feature set that has them")) }
        return .success(found.map { $0! })
    }

    /// A user's (x, tₓ, T) in days from their features: x repeat purchase days, T days since the
    /// first purchase (whole calendar-day steps), tₓ the first-to-last span. A user with no
    /// purchase is a customer of age "days since the first event" with no repeat purchase.
    public static func customer(_ features: UnsafeBufferPointer<Double>, _ i: [Int]) -> BetaGeometricNBD.Customer {
        let days = features[i[0]], first = features[i[1]], last = features[i[2]]
        func wholeDays(_ d: Double) -> Double { d.isNaN ? 0 : max(0, (d - 1e-9).rounded(.up)) }
        guard days >= 1, !first.isNaN else {
            return .init(frequency: 0, recency: 0, age: wholeDays(features[i[3]]))
        }
        let age = wholeDays(first)
        return .init(frequency: days - 1, recency: max(0, age - wholeDays(last)), age: age)
    }

    public func probability(_ features: UnsafeBufferPointer<Double>) -> Double {
        process.probabilityOfPurchase(Self.customer(features, inputIndices), within: horizonDays)
    }

    /// What `--btyd-features` can add after the set's features: the answers of PREDICT.
    public enum DerivedFeature: String, Sendable, Codable, CaseIterable {
        case pAlive = "btyd_p_alive", expectedPurchases = "btyd_expected_purchases", pPurchase = "btyd_p_purchase"
        /// Missing (NaN) when P(a purchase ever) stays under one half.
        case daysToNextPurchase = "btyd_days_to_next_purchase_median"
        case expectedSpend = "btyd_expected_spend", value = "btyd_value"

        var needsSpend: Bool { self == .expectedSpend || self == .value }
    }

    /// The features this model adds, in order.
    public var derivedFeatures: [DerivedFeature] { derived ?? [.pAlive, .expectedPurchases] }

    /// The names of `derivedFeatures`, as the model's inputs list them.
    public var derivedFeatureNames: [String] { derivedFeatures.map(\.rawValue) }

    /// The derived features of one user, in `derivedFeatures` order.
    public func derivedFeatures(_ features: UnsafeBufferPointer<Double>) -> [Double] {
        let kinds = derivedFeatures
        if kinds.count == 2 && derived == nil {
            let c = Self.customer(features, inputIndices)
            return [process.probabilityAlive(c), process.expectedPurchases(c, within: horizonDays)]
        }
        let next = NextPurchase.predict(features: features, purchases: self, spend: spend, horizonDays: horizonDays)
        return kinds.map { kind in
            switch kind {
            case .pAlive: return next.pAlive
            case .expectedPurchases: return next.expectedPurchases
            case .pPurchase: return next.pPurchase
            case .daysToNextPurchase: return next.daysToNextPurchaseMedian ?? .nan
            case .expectedSpend: return next.expectedSpend ?? .nan
            case .value: return next.value ?? .nan
            }
        }
    }

    /// `rows` with the derived features appended to each row.
    public func augment(_ features: [Double], rows: Int, width p: Int) -> [Double] {
        var out = [Double]()
        out.reserveCapacity(rows * (p + derivedFeatures.count))
        features.withUnsafeBufferPointer { all in
            for row in 0..<rows {
                let x = UnsafeBufferPointer(rebasing: all[(row * p)..<((row + 1) * p)])
                out += x
                out += derivedFeatures(x)
            }
        }
        return out
    }

    /// What EXPLAIN shows: P(alive) and the expected number of purchases in the horizon.
    public func explain(_ features: UnsafeBufferPointer<Double>) -> [(feature: String, contribution: Double)] {
        let c = Self.customer(features, inputIndices)
        return [
            ("p_alive", process.probabilityAlive(c)), ("expected_purchases_in_horizon", process.expectedPurchases(c, within: horizonDays)),
            ("repeat_purchase_days", c.frequency), ("days_first_to_last_purchase", c.recency), ("days_since_first_purchase", c.age)
        ]
    }

    /// Fits on the purchasers among `rows` (row-major features in `names` order).
    public static func fit(features: [Double], rows: Int, names: [String], horizonDays: Double, pareto: Bool = false) throws -> BuyTillYouDieModel {
        let indices = try Self.indices(in: names).get()
        let p = names.count
        var customers = [BetaGeometricNBD.Customer]()
        features.withUnsafeBufferPointer { all in
            for row in 0..<rows {
                let x = UnsafeBufferPointer(rebasing: all[(row * p)..<((row + 1) * p)])
                if x[indices[0]] >= 1 { customers.append(customer(x, indices)) }
            }
        }
        guard customers.count >= 10 else { throw TrainingError.emptyTraining("BG/NBD needs purchasers; found \(customers.count)") }
        if pareto {
            return BuyTillYouDieModel(pareto: try ParetoNBD.fit(customers), horizonDays: horizonDays, inputIndices: indices, fittedCustomers: customers.count)
        }
        return BuyTillYouDieModel(model: BetaGeometricNBD.fit(customers), horizonDays: horizonDays, inputIndices: indices, fittedCustomers: customers.count)
    }
}
