import Foundation
import NIOConcurrencyHelpers
import RecurCore

extension ScoringService {
    /// What PREDICT answers with: the purchase and spend models used, and the user's prediction.
    public struct Prediction: Sendable {
        public var purchaseModel: String
        public var spendModel: String?
        public var cold: Bool
        public var next: NextPurchase
    }

    /// The longest horizon PREDICT takes: ten years.
    static let longestHorizonDays = 3_650.0

    /// PREDICT: the served model when it is a BG/NBD, else the newest BG/NBD on the served feature
    /// set; with the named Gamma-Gamma model, or the newest. Features as of `at` (now without it).
    public func predict(_ user: String, at: Timestamp? = nil, horizonDays: Double? = nil, spend: String? = nil, annualDiscount: Double = 0) throws
        -> Prediction
    {
        let (purchases, spendModel) = try predictionModels(spend: spend)
        guard let bgnbd = purchases.artifact.bgnbd else {
            throw RequestError(code: "NO_MODEL", message: "model \(purchases.version) is not a buy-till-you-die model")
        }
        let horizon = horizonDays ?? bgnbd.horizonDays
        guard horizon > 0, horizon <= Self.longestHorizonDays else {
            throw RequestError(code: "BAD_HORIZON", message: "HORIZON must be more than 0 and at most \(Int(Self.longestHorizonDays)) days")
        }
        return try withFeatures(of: user, at: at ?? .now) { values, cold in
            let next = NextPurchase.predict(
                features: values, purchases: bgnbd, spend: spendModel?.artifact.spend, horizonDays: horizon, annualDiscount: annualDiscount)
            return Prediction(purchaseModel: purchases.version, spendModel: spendModel?.version, cold: cold, next: next)
        }
    }

    /// The models PREDICT combines, looked up in the registry at most every two seconds.
    func predictionModels(spend named: String?) throws -> (purchases: ServedModel, spend: ServedModel?) {
        let served = model
        let purchases: ServedModel
        if served.artifact.kind.isBuyTillYouDie {
            purchases = served
        } else {
            guard let version = newest(where: \.isBuyTillYouDie) else {
                throw RequestError(
                    code: "NO_MODEL",
                    message:
                        "PREDICT needs a BG/NBD or Pareto/NBD model on \(set.reference): `recur train --model bgnbd …` or `--model paretonbd` (the served model \(served.version) is \(served.artifact.kind.rawValue))"
                )
            }
            purchases = try resolveModel(version)
        }
        var spendModel: ServedModel?
        if let named {
            let resolved = try resolveModel(named)
            guard resolved.artifact.kind == .gammagamma else {
                throw RequestError(code: "NO_MODEL", message: "SPEND \(named.prefix(40)) is a \(resolved.artifact.kind.rawValue) model, not gammagamma")
            }
            spendModel = resolved
        } else if let version = newest(where: { $0 == .gammagamma }) {
            spendModel = try resolveModel(version)
        }
        for m in [purchases] + (spendModel.map { [$0] } ?? []) where m.set.reference != set.reference {
            throw RequestError(code: "NO_MODEL", message: "model \(m.version) reads \(m.set.reference); this server holds \(set.reference)")
        }
        return (purchases, spendModel)
    }

    /// The newest stored version of a kind on the served set, from a listing at most two seconds old.
    private func newest(where matches: (ModelArtifact.Kind) -> Bool) -> String? {
        let now = Date()
        let listing = predictionListing.withLockedValue { cached -> [ModelMetadata] in
            if let (at, list) = cached, now.timeIntervalSince(at) < 2 { return list }
            let list = (try? registry.list()) ?? []
            cached = (now, list)
            return list
        }
        return listing.last { matches($0.kind) && $0.featureSet == set.reference }?.version
    }
}
