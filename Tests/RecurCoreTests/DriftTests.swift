import Foundation
import Testing

@testable import RecurCore

@Suite struct DriftTests {
    @Test func psiIsZeroForTheSameDistributionAndGrowsWithAShift() {
        var random = SeededRandom(seed: 3)
        let reference = (0..<5_000).map { _ in Double(random.next() % 1_000) }
        let same = Drift.measure(name: "x", reference: reference, current: reference)
        #expect(same.psi == 0 && same.statistic == 0 && !same.drifted && same.test == .wasserstein)
        let shifted = Drift.measure(name: "x", reference: reference, current: reference.map { $0 + 300 })
        #expect(shifted.psi > 0.25 && shifted.drifted)
        #expect(abs(shifted.statistic - 300 / 288.7) < 0.05, "Wasserstein 300 over a uniform's sd ≈ 288.7: \(shifted.statistic)")
    }

    @Test func smallSamplesUseKolmogorovSmirnovWithItsPValue() {
        let reference = (0..<200).map(Double.init)
        let alike = Drift.measure(name: "x", reference: reference, current: reference.map { $0 + 0.5 })
        #expect(alike.test == .ks && (alike.pValue ?? 0) > 0.9 && !alike.drifted)
        let apart = Drift.measure(name: "x", reference: reference, current: reference.map { $0 + 100 })
        #expect(abs(apart.statistic - 0.5) < 1e-12 && (apart.pValue ?? 1) < 1e-6 && apart.drifted)
        // Q_KS at λ = 1.36 is the classic 5% point.
        #expect(abs(Drift.kolmogorovSurvival(1.358) - 0.05) < 0.001)
    }

    @Test func wassersteinAndMissingValues() {
        #expect(Drift.wasserstein([0, 1], [1, 2]) == 1)
        #expect(Drift.wasserstein([0, 0, 0], [0, 0, 0]) == 0)
        // Missing values are a bin of their own: more of them is drift PSI sees.
        let reference = (0..<2_000).map { Double($0 % 50) }
        let current = reference.enumerated().map { $0.offset % 2 == 0 ? Double.nan : $0.element }
        #expect(Drift.measure(name: "x", reference: reference, current: current).psi > 1)
    }

    @Test func aPlantedShiftIsRankedFirst() throws {
        let set = try FeatureCatalog.builtin.resolve("default@1")
        var random = SeededRandom(seed: 8)
        let reference = (0..<3_000).map { _ in set.featureNames.map { _ in Double(random.next() % 100) } }
        let target = set.featureNames.firstIndex(of: "purchase_count_30d")!
        var current = (0..<3_000).map { _ in set.featureNames.map { _ in Double(random.next() % 100) } }
        for index in current.indices { current[index][target] += 40 }
        let n = set.features.count
        let logistic = LogisticModel(
            featureNames: set.featureNames, means: [Double](repeating: 50, count: n), scales: [Double](repeating: 30, count: n), intercept: -1,
            coefficients: [Double](repeating: 0.05, count: n))
        let artifact = ModelArtifact(
            kind: .logistic, featureSetName: set.name, featureSetVersion: set.version, featureNames: set.featureNames, logistic: logistic)
        let report = DriftCheck.compare(model: "d", set: set, scorer: ModelScorer(artifact), reference: reference, current: current, source: "test")
        #expect(report.features.first?.name == "purchase_count_30d")
        #expect(report.features.first?.drifted == true && report.features.dropFirst().allSatisfy { !$0.drifted })
        #expect(report.score.psi > 0, "the score moves with the shifted feature")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(((json["features"] as? [[String: Any]])?.first?["name"] as? String) == "purchase_count_30d")
        #expect(report.html.contains("<table") && report.html.contains("purchase_count_30d"))
    }
}
