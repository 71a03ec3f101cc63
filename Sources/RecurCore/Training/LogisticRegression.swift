import Foundation
import LinearAlgebra

/// L2-regularised logistic regression fitted by Newton/IRLS: X'WX from BLAS dsyrk, Cholesky from LAPACK.
public enum LogisticRegression {
    /// Fitting parameters: `l2` is the penalty on standardised coefficients (sklearn's 1/C); the intercept is free.
    public struct Parameters: Sendable, Codable, Equatable {
        public var l2: Double = 1.0
        public var maxIterations: Int = 100
        /// Stop when the largest gradient component, per row, is below this.
        public var tolerance: Double = 1e-10
        public init() {}
    }

    /// How the fit went: what a user should know about their data.
    public struct Report: Sendable, Codable, Equatable {
        public var iterations: Int
        public var gradientNorm: Double
        public var converged: Bool
        public var constantFeatures: [String]
        public var notes: [String]
    }

    /// Fits on row-major features (NaN = missing, replaced by the training mean) and 0/1 labels.
    public static func fit(
        features x: [Double], rows n: Int, names: [String], labels y: [UInt8],
        parameters: Parameters
    ) -> (LogisticModel, Report) {
        let p = names.count
        precondition(x.count == n * p && y.count == n)
        var means = [Double](repeating: 0, count: p), scales = [Double](repeating: 1, count: p)
        var constant = [String]()
        for j in 0..<p {
            var sum = 0.0, squares = 0.0, count = 0.0
            for i in 0..<n { let v = x[i * p + j]; if !v.isNaN { sum += v; squares += v * v; count += 1 } }
            let mean = count > 0 ? sum / count : 0
            let variance = count > 1 ? max(0, squares / count - mean * mean) : 0
            means[j] = mean
            if variance > 1e-24 { scales[j] = variance.squareRoot() } else { constant.append(names[j]) }
        }
        // The design (intercept first, standardised, missing values at the mean: 0) is built one block
        // of rows at a time, and X'WX and X'(y − p) are summed over the blocks: beyond the features
        // themselves the fit holds O(features²) and one block, not two more copies of every row.
        let width = p + 1
        let blockRows = min(n, 8_192)
        var design = Matrix(rows: max(blockRows, 1), columns: width)
        var weighted = Matrix(rows: max(blockRows, 1), columns: width)
        func standardise(from start: Int, count: Int) {
            for r in 0..<count {
                let i = start + r
                design.values[r * width] = 1
                for j in 0..<p {
                    let v = x[i * p + j]
                    design.values[r * width + j + 1] = v.isNaN ? 0 : (v - means[j]) / scales[j]
                }
            }
        }
        /// Calls `body` with each block's first row and row count, the block standardised into `design`.
        func forEachBlock(_ body: (Int, Int) -> Void) {
            var start = 0
            while start < n {
                let count = min(blockRows, n - start)
                standardise(from: start, count: count)
                body(start, count)
                start += count
            }
        }
        func penalisedLoss(_ beta: [Double]) -> Double {
            var loss = 0.0
            forEachBlock { start, count in
                let eta = design.times(beta, firstRows: count)
                for r in 0..<count {
                    // log(1 + e^η) − yη, computed without overflow.
                    let e = eta[r]
                    loss += (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))) - Double(y[start + r]) * e
                }
            }
            var penalty = 0.0
            for j in 1..<beta.count { penalty += beta[j] * beta[j] }
            return loss + 0.5 * parameters.l2 * penalty
        }
        var beta = [Double](repeating: 0, count: width)
        let positives = Double(y.reduce(0) { $0 + Int($1) })
        if positives > 0 && positives < Double(n) { beta[0] = log(positives / (Double(n) - positives)) }
        var notes = [String]()
        var iterations = 0, gradientNorm = Double.infinity
        var loss = penalisedLoss(beta)
        while iterations < parameters.maxIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: width)
            var hessian = Matrix(rows: width, columns: width)
            forEachBlock { start, count in
                let eta = design.times(beta, firstRows: count)
                var residual = [Double](repeating: 0, count: count)
                for r in 0..<count {
                    let prob = sigmoid(eta[r])
                    residual[r] = Double(y[start + r]) - prob
                    let w = max(prob * (1 - prob), 1e-12).squareRoot()
                    for j in 0..<width { weighted.values[r * width + j] = design.values[r * width + j] * w }
                }
                design.addTransposeTimes(residual, into: &gradient)
                weighted.addGram(ofFirst: count, into: &hessian)
            }
            hessian.mirrorUpper()
            for j in 1..<width { gradient[j] -= parameters.l2 * beta[j] }
            gradientNorm = gradient.map(abs).max() ?? 0
            if gradientNorm / Double(max(n, 1)) < parameters.tolerance { break }
            for j in 1..<width { hessian[j, j] += parameters.l2 }
            // A whisper of ridge keeps the system positive definite with collinear or constant columns.
            for j in 0..<width { hessian[j, j] += 1e-9 * max(1, hessian[j, j]) }
            guard let step = try? Cholesky.solve(hessian, gradient) else {
                notes.append("Hessian not positive definite at iteration \(iterations); stopped")
                break
            }
            // Damped Newton: halve the step until the penalised loss does not increase.
            var scale = 1.0
            var candidate = beta
            var candidateLoss = loss
            for _ in 0..<30 {
                candidate = zip(beta, step).map { $0 + scale * $1 }
                candidateLoss = penalisedLoss(candidate)
                if candidateLoss <= loss + 1e-12 * abs(loss) { break }
                scale /= 2
            }
            beta = candidate
            if abs(loss - candidateLoss) <= 1e-15 * max(1, abs(loss)) && scale < 1e-6 { loss = candidateLoss; break }
            loss = candidateLoss
        }
        // Perfect separation: every training row already predicted with certainty; the optimum is at infinity.
        var separable = n > 0
        forEachBlock { start, count in
            guard separable else { return }
            let eta = design.times(beta, firstRows: count)
            for r in 0..<count where (y[start + r] == 1 ? eta[r] : -eta[r]) <= 13 {
                separable = false
                break
            }
        }
        if separable { notes.append("the classes are perfectly separable: coefficients grow with the data, not the signal; raise --l2") }
        let converged = gradientNorm / Double(max(n, 1)) < parameters.tolerance * 10 || gradientNorm < 1e-6
        if !converged { notes.append("not converged after \(iterations) iterations (gradient \(gradientNorm)); separable data? raise --l2") }
        if !constant.isEmpty { notes.append("constant features (coefficient 0): \(constant.joined(separator: ", "))") }
        if beta.contains(where: { !$0.isFinite }) {
            notes.append("non-finite coefficients replaced by 0")
            beta = beta.map { $0.isFinite ? $0 : 0 }
        }
        let model = LogisticModel(featureNames: names, means: means, scales: scales, intercept: beta[0], coefficients: Array(beta.dropFirst()))
        return (model, Report(iterations: iterations, gradientNorm: gradientNorm, converged: converged, constantFeatures: constant, notes: notes))
    }
}

@inline(__always) func sigmoid(_ x: Double) -> Double { x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)) }

/// A fitted logistic model: standardisation and coefficients, in the artifact's JSON form.
public struct LogisticModel: Sendable, Codable, Equatable {
    public var featureNames: [String]
    public var means: [Double]
    public var scales: [Double]
    public var intercept: Double
    public var coefficients: [Double]

    enum CodingKeys: String, CodingKey { case featureNames = "feature_names", means, scales, intercept, coefficients }

    /// Probability for one row of raw features (NaN = missing).
    public func probability(_ x: UnsafeBufferPointer<Double>) -> Double {
        var eta = intercept
        for j in 0..<coefficients.count {
            let v = x[j]
            if !v.isNaN { eta += coefficients[j] * (v - means[j]) / scales[j] }
        }
        return sigmoid(eta)
    }

    /// Each feature's contribution to the log-odds for one row.
    public func contributions(_ x: [Double]) -> [Double] {
        (0..<coefficients.count).map { j in x[j].isNaN ? 0 : coefficients[j] * (x[j] - means[j]) / scales[j] }
    }
}
