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

    /// Bytes of rows the design and its weighted copy may take before the fit goes block by block.
    static let designBudget = 1 << 30

    /// Fits on row-major features (NaN = missing, replaced by the training mean) and 0/1 labels.
    public static func fit(
        features x: [Double], rows n: Int, names: [String], labels y: [UInt8],
        parameters: Parameters, blockRows: Int? = nil
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
        // The design (intercept first, standardised, missing values at the mean: 0) and its weighted
        // copy are held for at most `designBudget` bytes of rows: up to that (1.4M rows of 45
        // features) the whole design is built once, as fast as before; past it, one block of rows at
        // a time, X'WX and X'(y − p) summed over the blocks, rebuilt on every pass: the fit then
        // holds O(features²) and a block beyond the features, where it held two more copies of every
        // row (7.6 GB at 10.3M rows), at the price of the rebuilding (1.2× the time at 1M rows).
        let width = p + 1
        let blockRows = min(n, blockRows ?? max(65_536, designBudget / (2 * 8 * width)))
        let whole = blockRows >= n
        var design = Matrix(rows: max(blockRows, 1), columns: width)
        var weighted = Matrix(rows: max(blockRows, 1), columns: width)
        let inverseScales = scales.map { 1 / $0 }
        func standardise(from start: Int, count: Int) {
            x.withUnsafeBufferPointer { xs in
                design.values.withUnsafeMutableBufferPointer { d in
                    for r in 0..<count {
                        let row = (start + r) * p, out = r * width
                        d[out] = 1
                        for j in 0..<p {
                            let v = xs[row + j]
                            d[out + j + 1] = v.isNaN ? 0 : (v - means[j]) * inverseScales[j]
                        }
                    }
                }
            }
        }
        if whole { standardise(from: 0, count: n) }
        /// Calls `body` with each block's first row and row count, the block standardised into `design`.
        func forEachBlock(_ body: (Int, Int) -> Void) {
            var start = 0
            while start < n {
                let count = min(blockRows, n - start)
                if !whole { standardise(from: start, count: count) }
                body(start, count)
                start += count
            }
        }
        // The linear predictor of every row is kept from the loss pass that accepted a step (8 bytes a
        // row), so the next iteration's pass need not compute it again.
        var currentEta = [Double](repeating: 0, count: n), candidateEta = currentEta
        func penalisedLoss(_ beta: [Double], eta etaOut: inout [Double]) -> Double {
            if whole {
                etaOut = design.times(beta, firstRows: n)
                var loss = 0.0
                for (e, label) in zip(etaOut, y) { loss += (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))) - Double(label) * e }
                return loss + 0.5 * parameters.l2 * beta.dropFirst().reduce(0) { $0 + $1 * $1 }
            }
            // η from the raw features with the coefficients taken back to their scale: no block to
            // standardise. A missing value stands at the mean: its term, c·(x − mean), is 0.
            let c = (0..<p).map { beta[$0 + 1] * inverseScales[$0] }
            let base = beta[0] - zip(c, means).reduce(0) { $0 + $1.0 * $1.1 }
            let missing = zip(c, means).map { $0 * $1 }
            var loss = 0.0
            x.withUnsafeBufferPointer { xs in
                etaOut.withUnsafeMutableBufferPointer { etas in
                    for i in 0..<n {
                        var e = base
                        for j in 0..<p {
                            let v = xs[i * p + j]
                            e += v.isNaN ? missing[j] : c[j] * v
                        }
                        etas[i] = e
                        // log(1 + e^η) − yη, computed without overflow.
                        loss += (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))) - Double(y[i]) * e
                    }
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
        var loss = penalisedLoss(beta, eta: &currentEta)
        while iterations < parameters.maxIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: width)
            var hessian = Matrix(rows: width, columns: width)
            forEachBlock { start, count in
                var residual = [Double](repeating: 0, count: count)
                design.values.withUnsafeBufferPointer { d in
                    weighted.values.withUnsafeMutableBufferPointer { out in
                        for r in 0..<count {
                            let prob = sigmoid(currentEta[start + r])
                            residual[r] = Double(y[start + r]) - prob
                            let w = max(prob * (1 - prob), 1e-12).squareRoot()
                            for j in 0..<width { out[r * width + j] = d[r * width + j] * w }
                        }
                    }
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
                candidateLoss = penalisedLoss(candidate, eta: &candidateEta)
                if candidateLoss <= loss + 1e-12 * abs(loss) { break }
                scale /= 2
            }
            beta = candidate
            swap(&currentEta, &candidateEta)
            if abs(loss - candidateLoss) <= 1e-15 * max(1, abs(loss)) && scale < 1e-6 { loss = candidateLoss; break }
            loss = candidateLoss
        }
        // Perfect separation: every training row already predicted with certainty; the optimum is at infinity.
        let separable = n > 0 && (0..<n).allSatisfy { i in (y[i] == 1 ? currentEta[i] : -currentEta[i]) > 13 }
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
