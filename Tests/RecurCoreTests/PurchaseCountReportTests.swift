import Foundation
import Testing

@testable import RecurCore

/// Expected against actual purchases and spend, as `models compare` reports them, and the features
/// `--btyd-features` derives.
@Suite struct PurchaseCountReportTests {
    @Test func errorsAndTheFrequencyTableAreCountedByHand() throws {
        let columns = ExpectedColumns(
            purchases: [
                .init(model: "bg", expected: [0.5, 1.0, 2.0, 0.0, 3.0], pastFrequency: [0, 0, 3, 9, 12]),
                .init(model: "pnbd", expected: [1.0, 1.0, 1.0, 1.0, 1.0], pastFrequency: [0, 0, 3, 9, 12])
            ],
            spend: .init(model: "gg", expected: [10, 20, 30, .nan, 50]))
        let actual = HorizonPurchases(days: [0, 2, 2, 1, 4], amount: [0, 50, 20, 7, 200])
        let report = try #require(PurchaseCountReport(columns: columns, actual: actual))
        #expect(report.rows == 5 && report.meanActual == 9.0 / 5)
        // |0.5-0| + |1-2| + |2-2| + |0-1| + |3-4| = 3.5; the constant model: 1 + 1 + 1 + 0 + 3 = 6.
        let errors: [Double] = [3.5 / 5, 6.0 / 5]
        #expect(report.models.map(\.mae) == errors)
        #expect(report.byFrequency.map(\.frequency) == ["0", "3", "7+"])
        #expect(report.byFrequency.map(\.rows) == [2, 1, 2])
        #expect(report.byFrequency[0].actual == 1 && report.byFrequency[0].expected == [0.75, 1])
        #expect(report.byFrequency[2].actual == 2.5 && report.byFrequency[2].expected == [1.5, 1])
        // Spend: buyers with an expectation are rows 1, 2 and 4 (row 3's is missing): actual 25, 10, 50 per purchase day.
        let spend = try #require(report.spend)
        let spendError: Double = (5.0 + 20 + 0) / 3, spent: Double = 85.0 / 3
        #expect(spend.rows == 3 && spend.mae == spendError && spend.meanActual == spent)
        #expect(report.table.count == 4 && report.table[0] == ["past repeat purchase days", "rows", "actual", "bg expected", "pnbd expected"])
        #expect(PurchaseCountReport(columns: ExpectedColumns(), actual: actual) == nil)
    }

    @Test func keptRowsKeepTheirColumns() {
        let columns = ExpectedColumns(
            purchases: [.init(model: "bg", expected: [1, 2, 3], pastFrequency: [4, 5, 6])], spend: .init(model: "gg", expected: [7, 8, 9]))
        let kept = columns.rows([2, 0])
        #expect(kept.purchases[0].expected == [3, 1] && kept.purchases[0].pastFrequency == [6, 4] && kept.spend?.expected == [9, 7])
    }

    @Test func derivedFeaturesArePredictsAnswersAndOldArtifactsKeepTheirTwo() throws {
        let bg = BetaGeometricNBD(r: 0.24, alpha: 4.4, a: 0.79, b: 2.4, logLikelihood: -100)
        let spend = SpendModel(model: GammaGamma(p: 6.25, q: 3.74, v: 15.44, logLikelihood: -50), inputIndices: [4, 5], summaryAsOf: "2025-01-01T00:00:00Z")
        var model = BuyTillYouDieModel(model: bg, horizonDays: 30, inputIndices: [0, 1, 2, 3], fittedCustomers: 100)
        // purchase_days_all, days since first purchase, since last, since first event, purchase days again, amount.
        let x: [Double] = [4, 120, 10, 150, 4, 200]
        let legacy = x.withUnsafeBufferPointer { model.derivedFeatures($0) }
        #expect(model.derivedFeatureNames == ["btyd_p_alive", "btyd_expected_purchases"] && legacy.count == 2)
        model.spend = spend
        model.derived = BuyTillYouDieModel.DerivedFeature.allCases
        let values = x.withUnsafeBufferPointer { model.derivedFeatures($0) }
        let next = x.withUnsafeBufferPointer { NextPurchase.predict(features: $0, purchases: model, spend: spend, horizonDays: 30) }
        let answers: [Double] = [next.pAlive, next.expectedPurchases, next.pPurchase, next.daysToNextPurchaseMedian ?? .nan, next.expectedSpend!, next.value!]
        #expect(values.map(\.bitPattern) == answers.map(\.bitPattern))
        #expect(values[0] == legacy[0] && values[1] == legacy[1])
        // An artifact written before the list existed decodes to the first two.
        var old = try JSONSerialization.jsonObject(with: JSONEncoder().encode(model)) as! [String: Any]
        old["derived_features"] = nil
        old["spend"] = nil
        let decoded = try JSONDecoder().decode(BuyTillYouDieModel.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(decoded.derivedFeatureNames == ["btyd_p_alive", "btyd_expected_purchases"])
    }
}
