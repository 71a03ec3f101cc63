import Foundation
import Testing

@testable import RecurCore

@Suite struct ModelScorerTests {
    /// Rows with some missing values, on the scale the models were fitted on.
    func rows(_ random: inout SeededRandom, count: Int, width: Int) -> [[Double]] {
        (0..<count).map { _ in (0..<width).map { _ in random.chance(0.1) ? .nan : random.normal() * 2 } }
    }

    @Test func scorerGivesExactlyTheArtifactsProbability() throws {
        var random = SeededRandom(seed: 41)
        let n = 2_000
        var x = [Double](), y = [UInt8]()
        for _ in 0..<n {
            let a = random.normal(), b = random.normal(), c = random.unit()
            x += [a, b, c]
            y.append(random.unit() < 1 / (1 + exp(-(a - b * c))) ? 1 : 0)
        }
        var parameters = GradientBoosting.Parameters()
        parameters.trees = 40
        let (ensemble, _) = try GradientBoosting.fit(features: x, rows: n, names: ["a", "b", "c"], labels: y, parameters: parameters)
        let logistic = LogisticModel(
            featureNames: ["a", "b", "c"], means: [0.1, -0.2, 0.5], scales: [1.5, 0.7, 0.3], intercept: -0.4, coefficients: [0.8, -1.1, 0.3])
        let artifacts = [
            ModelArtifact(kind: .gbdt, featureSetName: "t", featureSetVersion: 1, featureNames: ["a", "b", "c"], gbdt: ensemble),
            ModelArtifact(kind: .logistic, featureSetName: "t", featureSetVersion: 1, featureNames: ["a", "b", "c"], logistic: logistic)
        ]
        for artifact in artifacts {
            let scorer = ModelScorer(artifact)
            var distinct = Set<UInt64>()
            for row in rows(&random, count: 500, width: 3) {
                let expected = artifact.probability(row)
                let got = row.withUnsafeBufferPointer { scorer.probability($0) }
                #expect(got.bitPattern == expected.bitPattern, "\(artifact.kind) on \(row)")
                distinct.insert(got.bitPattern)
            }
            #expect(distinct.count > 50, "the rows exercise more than a handful of paths")
        }
    }
}
