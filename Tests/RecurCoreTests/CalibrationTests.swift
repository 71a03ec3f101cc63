import Foundation
import Testing

@testable import RecurCore

@Suite struct CalibrationTests {
    /// Raw probabilities that are systematically off: the truth is σ(0.6·logit(p) − 0.8), as when a
    /// model carries an older base rate and overconfidence into a new month.
    static func miscalibrated(seed: UInt64, rows: Int) -> ([Double], [UInt8]) {
        var random = SeededRandom(seed: seed)
        var p = [Double](), y = [UInt8]()
        for _ in 0..<rows {
            let z = random.normal() * 2
            let raw = 1 / (1 + exp(-z))
            p.append((raw * 1000).rounded() / 1000)  // ties, as a tree model's scores have
            y.append(random.unit() < 1 / (1 + exp(-(0.6 * z - 0.8))) ? 1 : 0)
        }
        return (p, y)
    }

    @Test func plattRecoversTheSlopeAndIntercept() {
        let (p, y) = Self.miscalibrated(seed: 1, rows: 40_000)
        let c = Calibrator.fit(.platt, predictions: p, labels: y)
        #expect(abs((c.slope ?? 0) - 0.6) < 0.05 && abs((c.intercept ?? 0) + 0.8) < 0.05, "\(c)")
    }

    @Test func bothMethodsCalibrateAHeldOutSetAndKeepItsRanking() {
        let (fitP, fitY) = Self.miscalibrated(seed: 2, rows: 30_000)
        let (p, y) = Self.miscalibrated(seed: 3, rows: 30_000)
        let before = Metrics(predictions: p, labels: y)
        #expect(before.calibrationError > 0.05)
        for method in Calibrator.Method.allCases {
            let c = Calibrator.fit(method, predictions: fitP, labels: fitY)
            let after = Metrics(predictions: p.map(c.apply), labels: y)
            #expect(after.calibrationError <= 0.02, "\(method): ECE \(after.calibrationError)")
            #expect(after.logLoss < before.logLoss)
            #expect(abs(after.rocAUC - before.rocAUC) <= 0.001, "\(method): AUC \(before.rocAUC) → \(after.rocAUC)")
        }
    }

    @Test func isotonicIsMonotoneAndStaysInsideItsRange() {
        let (p, y) = Self.miscalibrated(seed: 4, rows: 5_000)
        let c = Calibrator.fit(.isotonic, predictions: p, labels: y)
        let grid = stride(from: -0.1, through: 1.1, by: 0.001).map { c.apply($0) }
        #expect(zip(grid, grid.dropFirst()).allSatisfy { $0 <= $1 })
        #expect(grid.allSatisfy { $0 >= 0 && $0 <= 1 })
        // PAV on a tiny example: labels 1, 0, 1, 1 at 0.1 … 0.4 pool the first two.
        let small = Calibrator.fit(.isotonic, predictions: [0.1, 0.2, 0.3, 0.4], labels: [1, 0, 1, 1])
        #expect(small.apply(0.1) == 0.5 && small.apply(0.2) == 0.5)
        // The all-positive block says "likely", never "certain": half a row (of 4 + 1) inside 1.
        #expect(small.apply(0.35) == 0.9)
        #expect(Calibrator.fit(.isotonic, predictions: [0.1, 0.2], labels: [0, 0]).apply(0.15) > 0)
        #expect(Calibrator.fit(.isotonic, predictions: [0.5], labels: [1]).apply(.nan).isNaN)
    }

    @Test func aCalibratedArtifactScoresTheSameEverywhereAndRoundTrips() throws {
        var artifact = ModelArtifact(
            kind: .logistic, featureSetName: "t", featureSetVersion: 1, featureNames: ["a", "b"],
            logistic: LogisticModel(featureNames: ["a", "b"], means: [0, 0], scales: [1, 1], intercept: -0.3, coefficients: [1.2, -0.7]))
        let (p, y) = Self.miscalibrated(seed: 5, rows: 3_000)
        for method in Calibrator.Method.allCases {
            artifact.calibration = Calibrator.fit(method, predictions: p, labels: y)
            let scorer = ModelScorer(artifact)
            var random = SeededRandom(seed: 6)
            for _ in 0..<300 {
                let row = [random.normal(), random.chance(0.2) ? .nan : random.normal()]
                let raw = row.withUnsafeBufferPointer { artifact.uncalibratedProbability($0) }
                #expect(artifact.probability(row) == artifact.calibration!.apply(raw))
                #expect(row.withUnsafeBufferPointer { scorer.probability($0) }.bitPattern == artifact.probability(row).bitPattern)
            }
            let data = try JSONEncoder().encode(artifact)
            #expect(try JSONDecoder().decode(ModelArtifact.self, from: data) == artifact)
        }
    }

    /// A model whose scores are already calibrated keeps them; a miscalibrated one gets the method that
    /// does better on rows it was not fitted on, never one that does worse.
    @Test func choosingNeverPicksACalibrationThatWorsensValidation() throws {
        var random = SeededRandom(seed: 9)
        var p = [Double](), y = [UInt8](), users = [String]()
        for i in 0..<20_000 {
            let q = 0.02 + 0.96 * random.unit()
            p.append(q)
            y.append(random.unit() < q ? 1 : 0)
            users.append("u\(i)")
        }
        let calibrated = Calibrator.choose(predictions: p, labels: y, users: users)
        #expect(calibrated.method == nil, "\(calibrated.reason)")
        let chosenLoss = calibrated.validationLogLoss[calibrated.method?.rawValue ?? "none"]!
        #expect(calibrated.validationLogLoss.values.allSatisfy { chosenLoss <= $0 })

        let (bad, labels) = Self.miscalibrated(seed: 10, rows: 20_000)
        let choice = Calibrator.choose(predictions: bad, labels: labels, users: bad.indices.map { "user-\($0)" })
        let method = try #require(choice.method, "\(choice.reason)")
        #expect(choice.validationLogLoss[method.rawValue]! < choice.validationLogLoss["none"]!)
        #expect(choice.reason.contains(method.rawValue))
    }

    @Test func everyScoreIsStrictlyInsideZeroAndOne() {
        let artifact = ModelArtifact(
            kind: .logistic, featureSetName: "t", featureSetVersion: 1, featureNames: ["a"],
            logistic: LogisticModel(featureNames: ["a"], means: [0], scales: [1], intercept: 0, coefficients: [50]))
        let scorer = ModelScorer(artifact)
        for x in [-1e6, -100.0, 0, 100, 1e6] {
            let p = artifact.probability([x])
            #expect(p > 0 && p < 1, "\(x): \(p)")
            #expect([x].withUnsafeBufferPointer { scorer.probability($0) } == p)
        }
    }
}
