import Foundation
import Testing

@testable import RecurCore

@Suite struct TrainingTests {
    func problem(rows n: Int, seed: UInt64) -> ([Double], [UInt8]) {
        var random = SeededRandom(seed: seed)
        var x = [Double](), y = [UInt8]()
        for _ in 0..<n {
            let a = random.normal(), b = random.normal() * 3 + 1, c = random.unit()
            x += [a, b, c]
            let eta = 0.8 * a - 0.3 * b + 1.5 * c - 0.2
            y.append(random.unit() < 1 / (1 + exp(-eta)) ? 1 : 0)
        }
        return (x, y)
    }

    /// Plain gradient descent on the same objective, no BLAS, no Newton: an independent reference.
    func reference(_ x: [Double], _ y: [UInt8], n: Int, p: Int, l2: Double) -> [Double] {
        var means = [Double](repeating: 0, count: p), scales = [Double](repeating: 0, count: p)
        for j in 0..<p {
            let column = (0..<n).map { x[$0 * p + j] }
            means[j] = column.reduce(0, +) / Double(n)
            scales[j] = (column.map { ($0 - means[j]) * ($0 - means[j]) }.reduce(0, +) / Double(n)).squareRoot()
        }
        let z = (0..<n).map { i in [1.0] + (0..<p).map { (x[i * p + $0] - means[$0]) / scales[$0] } }
        var beta = [Double](repeating: 0, count: p + 1)
        let step = 1.0 / (0.25 * Double(n) * Double(p + 1) + l2)
        for _ in 0..<60_000 {
            var gradient = [Double](repeating: 0, count: p + 1)
            for i in 0..<n {
                let eta = zip(z[i], beta).reduce(0) { $0 + $1.0 * $1.1 }
                let r = 1 / (1 + exp(-eta)) - Double(y[i])
                for j in 0...p { gradient[j] += r * z[i][j] }
            }
            for j in 1...p { gradient[j] += l2 * beta[j] }
            for j in 0...p { beta[j] -= step * gradient[j] }
        }
        return beta
    }

    @Test func logisticMatchesAnIndependentReferenceTo1e6() throws {
        let (x, y) = problem(rows: 300, seed: 4)
        var parameters = LogisticRegression.Parameters()
        parameters.l2 = 2
        let (model, report) = try LogisticRegression.fit(features: x, rows: 300, names: ["a", "b", "c"], labels: y, parameters: parameters)
        #expect(report.converged)
        let expected = reference(x, y, n: 300, p: 3, l2: 2)
        #expect(abs(model.intercept - expected[0]) < 1e-6)
        for j in 0..<3 { #expect(abs(model.coefficients[j] - expected[j + 1]) < 1e-6, "coefficient \(j)") }
    }

    /// Past one block of rows (4,096 here) X'WX and the gradient are summed block by block: the optimum found
    /// must still be the optimum of all the rows, checked by its first-order condition computed here
    /// row by row, missing values included.
    @Test func aFitOverManyBlocksIsTheOptimumOfAllRows() throws {
        let n = 20_000
        var (x, y) = problem(rows: n, seed: 11)
        for i in stride(from: 0, to: n, by: 7) { x[i * 3 + 1] = .nan }
        var parameters = LogisticRegression.Parameters()
        parameters.l2 = 3
        let (model, report) = try LogisticRegression.fit(
            features: x, rows: n, names: ["a", "b", "c"], labels: y, parameters: parameters, blockRows: 4_096)
        #expect(report.converged)
        var gradient = [Double](repeating: 0, count: 4)
        for i in 0..<n {
            let z = (0..<3).map { j in x[i * 3 + j].isNaN ? 0 : (x[i * 3 + j] - model.means[j]) / model.scales[j] }
            let eta = model.intercept + zip(model.coefficients, z).reduce(0) { $0 + $1.0 * $1.1 }
            let residual = Double(y[i]) - 1 / (1 + exp(-eta))
            gradient[0] += residual
            for j in 0..<3 { gradient[j + 1] += residual * z[j] }
        }
        for j in 0..<3 { gradient[j + 1] -= parameters.l2 * model.coefficients[j] }
        #expect(gradient.allSatisfy { abs($0) / Double(n) < 1e-9 }, "gradient at the fit: \(gradient)")
        #expect(abs(model.coefficients[0]) > 0.1, "the signal was learnt")
        // The whole design held at once (what fits under the budget do) finds the same optimum.
        let (whole, _) = try LogisticRegression.fit(features: x, rows: n, names: ["a", "b", "c"], labels: y, parameters: parameters)
        #expect(abs(whole.intercept - model.intercept) < 1e-9)
        for j in 0..<3 { #expect(abs(whole.coefficients[j] - model.coefficients[j]) < 1e-9, "coefficient \(j)") }
    }

    @Test func separableAndCollinearDataStayFiniteAndAreReported() throws {
        // Perfectly separable, no penalty: the optimum is at infinity.
        let x = (0..<100).map { Double($0) }
        let y = (0..<100).map { UInt8($0 >= 50 ? 1 : 0) }
        var parameters = LogisticRegression.Parameters()
        parameters.l2 = 0
        parameters.maxIterations = 50
        let (model, report) = try LogisticRegression.fit(features: x, rows: 100, names: ["x"], labels: y, parameters: parameters)
        #expect(model.coefficients.allSatisfy(\.isFinite) && model.intercept.isFinite)
        #expect(report.notes.contains { $0.contains("separable") })
        // Two identical columns and a constant one.
        let (base, labels) = problem(rows: 200, seed: 9)
        let collinear = (0..<200).flatMap { [base[$0 * 3], base[$0 * 3], 7.0] }
        let (m2, r2) = try LogisticRegression.fit(
            features: collinear, rows: 200, names: ["a", "a_copy", "k"], labels: labels, parameters: LogisticRegression.Parameters())
        #expect(m2.coefficients.allSatisfy { $0.isFinite })
        #expect(abs(m2.coefficients[0] - m2.coefficients[1]) < 1e-6)
        #expect(m2.coefficients[2] == 0 && r2.constantFeatures == ["k"])
    }

    @Test func treesFindTheKnownSplit() throws {
        // y = 1 exactly when x > 5; the second feature is noise.
        var random = SeededRandom(seed: 1)
        let n = 200
        var x = [Double](), y = [UInt8]()
        for i in 0..<n {
            let v = Double(i % 10 + 1)
            x += [v, random.unit()]
            y.append(v > 5 ? 1 : 0)
        }
        var parameters = GradientBoosting.Parameters()
        parameters.trees = 1; parameters.leaves = 2; parameters.learningRate = 1; parameters.minSamplesPerLeaf = 1
        parameters.earlyStoppingRounds = 0
        let (ensemble, _) = try GradientBoosting.fit(features: x, rows: n, names: ["x", "noise"], labels: y, parameters: parameters)
        let root = ensemble.trees[0]
        #expect(root.feature[0] == 0)
        #expect(root.threshold[0] == 5.5)
        #expect(root.value[Int(root.left[0])] < 0 && root.value[Int(root.right[0])] > 0)
        #expect(ensemble.gainImportance[0] > 0 && ensemble.gainImportance[1] == 0)
        // Missing values follow the learned direction instead of crashing.
        #expect([Double.nan, 0.5].withUnsafeBufferPointer { ensemble.probability($0) }.isFinite)
    }

    @Test func boostingLearnsAnInteraction() throws {
        var random = SeededRandom(seed: 2)
        let n = 4_000
        var x = [Double](), y = [UInt8]()
        for _ in 0..<n {
            let a = random.unit(), b = random.unit()
            x += [a, b]
            y.append((a > 0.5) != (b > 0.5) ? (random.chance(0.9) ? 1 : 0) : (random.chance(0.1) ? 1 : 0))
        }
        var parameters = GradientBoosting.Parameters()
        parameters.trees = 50
        let (ensemble, _) = try GradientBoosting.fit(features: x, rows: n, names: ["a", "b"], labels: y, parameters: parameters)
        let predictions = (0..<n).map { i in [x[2 * i], x[2 * i + 1]].withUnsafeBufferPointer { ensemble.probability($0) } }
        #expect(Metrics(predictions: predictions, labels: y).rocAUC > 0.85, "logistic cannot learn XOR; trees must")
    }

    @Test func metricsMatchHandComputedValues() {
        let m = Metrics(predictions: [0.9, 0.8, 0.3, 0.1], labels: [1, 0, 1, 0])
        #expect(m.rocAUC == 0.75)
        #expect(abs(m.prAUC - (1 + 2.0 / 3) / 2) < 1e-12)
        #expect(abs(m.logLoss - -(log(0.9) + log(0.2) + log(0.3) + log(0.9)) / 4) < 1e-12)
        #expect(abs(m.brier - 0.2875) < 1e-12)
        #expect(m.baseRate == 0.5)
        #expect(abs(m.calibrationError - 0.425) < 1e-12)
        #expect(m.liftTopDecile == 2)
        #expect(Metrics(predictions: [0.5, 0.5, 0.5, 0.5], labels: [1, 0, 1, 0]).rocAUC == 0.5, "ties share ranks")
        #expect(Metrics(predictions: [0.2, 0.4], labels: [0, 0]).rocAUC.isNaN)
    }
}
