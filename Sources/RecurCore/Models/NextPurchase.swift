import Foundation

/// A user's next purchase from a buy-till-you-die model and a spend model: whether they are still
/// a customer, how many purchases and how much money to expect over a horizon, and when.
public struct NextPurchase: Sendable, Equatable {
    public var pAlive: Double
    public var expectedPurchases: Double
    /// P(at least one purchase in the horizon): comparable with the logistic and GBDT scores.
    public var pPurchase: Double
    /// Expected spend per purchase; nil without a spend model.
    public var expectedSpend: Double?
    /// Expected purchases × expected spend over the horizon, each 30-day step discounted at
    /// `annualDiscount`; nil without a spend model.
    public var value: Double?
    /// The days until P(a purchase by then) reaches one half; nil when it never does (P(alive) < ½).
    public var daysToNextPurchaseMedian: Double?
    public var horizonDays: Double

    /// Computes every quantity for one user's features (in the purchase model's set order).
    public static func predict(
        features: UnsafeBufferPointer<Double>, purchases: BuyTillYouDieModel, spend: SpendModel?, horizonDays: Double, annualDiscount: Double = 0
    ) -> NextPurchase {
        let model = purchases.process
        let customer = BuyTillYouDieModel.customer(features, purchases.inputIndices)
        let expected = model.expectedPurchases(customer, within: horizonDays)
        var perPurchase: Double?, value: Double?
        if let spend {
            let amount = spend.expectedSpend(features)
            perPurchase = amount
            // 30-day steps, the last one shorter: purchases in each step, discounted to today.
            let monthly = pow(1 + annualDiscount, 30 / 365.0) - 1
            var total = 0.0, previous = 0.0, start = 0.0, step = 1.0
            while start < horizonDays {
                let end = min(horizonDays, start + 30)
                let cumulative = model.expectedPurchases(customer, within: end)
                total += (cumulative - previous) * amount / pow(1 + monthly, step)
                previous = cumulative
                start = end
                step += 1
            }
            value = total
        }
        return NextPurchase(
            pAlive: model.probabilityAlive(customer), expectedPurchases: expected, pPurchase: model.probabilityOfPurchase(customer, within: horizonDays),
            expectedSpend: perPurchase, value: value, daysToNextPurchaseMedian: medianDays(model, customer), horizonDays: horizonDays)
    }

    /// Bisection on P(purchase within t) = ½, up to 100 years; to a hundredth of a day.
    static func medianDays(_ model: any PurchaseProcess, _ c: BetaGeometricNBD.Customer) -> Double? {
        let limit = 36_500.0
        guard model.probabilityOfPurchase(c, within: limit) >= 0.5 else { return nil }
        var lo = 0.0, hi = limit
        while hi - lo > 0.005 {
            let mid = (lo + hi) / 2
            if model.probabilityOfPurchase(c, within: mid) >= 0.5 { hi = mid } else { lo = mid }
        }
        return (hi * 100).rounded() / 100
    }

    /// The answer's fields in order, as PREDICT and `/v1/predict` name them.
    public var fields: [(name: String, value: Double?)] {
        [
            ("p_alive", pAlive), ("expected_purchases", expectedPurchases), ("p_purchase", pPurchase), ("expected_spend", expectedSpend),
            ("value", value), ("days_to_next_purchase_median", daysToNextPurchaseMedian), ("horizon_days", horizonDays)
        ]
    }
}
