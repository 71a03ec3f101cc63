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
    ) throws -> (LogisticModel, Report) {
        try fit(rows: InMemoryRows(values: x, rows: n, width: names.count), names: names, labels: y, parameters: parameters, blockRows: blockRows)
    }

    /// Fits on rows read batch by batch (in memory or spilled to disk), one label per row.
    public static func fit(
        rows source: some FeatureRows, names: [String], labels y: [UInt8],
        parameters: Parameters, blockRows: Int? = nil
    ) throws -> (LogisticModel, Report) {
        let p = names.count, n = source.rowCount
        precondition(source.width == p && y.count == n)
        var sums = [Double](repeating: 0, count: p), squares = [Double](repeating: 0, count: p), counts = [Double](repeating: 0, count: p)
        try source.forEachBatch(maxRows: 65_536) { _, xs in
            for r in 0..<(xs.count / max(1, p)) {
                for j in 0..<p { let v = xs[r * p + j]; if !v.isNaN { sums[j] += v; squares[j] += v * v; counts[j] += 1 } }
            }
        }
        var means = [Double](repeating: 0, count: p), scales = [Double](repeating: 1, count: p)
        var constant = [String]()
        for j in 0..<p {
            let mean = counts[j] > 0 ? sums[j] / counts[j] : 0
            let variance = counts[j] > 1 ? max(0, squares[j] / counts[j] - mean * mean) : 0
            means[j] = mean
            if variance > 1e-24 { scales[j] = variance.squareRoot() } else { constant.append(names[j]) }
        }
        // The design (intercept first, standardised, missing values at the mean: 0) and its weighted
        // copy are held for at most `designBudget` bytes of rows: up to that (1.4M rows of 45
        // features) the whole design is built once, with every row's linear predictor kept between
        // passes. Past it, one block of rows at a time, read again from the source on every pass,
        // X'WX and X'(y − p) summed over the blocks, the linear predictor computed afresh from the
        // raw row: the fit then holds O(features²) and one block, whatever the number of rows.
        let width = p + 1
        let blockRows = min(n, blockRows ?? max(65_536, designBudget / (2 * 8 * width)))
        let whole = blockRows >= n
        var design = Matrix(rows: max(blockRows, 1), columns: width)
        var weighted = Matrix(rows: max(blockRows, 1), columns: width)
        let inverseScales = scales.map { 1 / $0 }
        func standardise(_ xs: UnsafeBufferPointer<Double>, at start: Int) {
            design.values.withUnsafeMutableBufferPointer { d in
                for r in 0..<(xs.count / max(1, p)) {
                    let row = r * p, out = (start + r) * width
                    d[out] = 1
                    for j in 0..<p {
                        let v = xs[row + j]
                        d[out + j + 1] = v.isNaN ? 0 : (v - means[j]) * inverseScales[j]
                    }
                }
            }
        }
        if whole { try source.forEachBatch(maxRows: 65_536) { first, xs in standardise(xs, at: first) } }
        /// Calls `body` with each block's first row, its row count and its raw rows, the block standardised into `design`.
        func forEachBlock(_ body: (Int, Int, UnsafeBufferPointer<Double>?) -> Void) throws {
            if whole { return body(0, n, nil) }
            try source.forEachBatch(maxRows: blockRows) { first, xs in
                standardise(xs, at: 0)
                body(first, xs.count / max(1, p), xs)
            }
        }
        // Held whole, every row's linear predictor is kept from the loss pass that accepted a step
        // (8 bytes a row), so the next iteration's pass need not compute it again.
        var currentEta = [Double](repeating: 0, count: whole ? n : 0), candidateEta = currentEta
        func penalisedLoss(_ beta: [Double], eta etaOut: inout [Double]) throws -> Double {
            if whole {
                etaOut = design.times(beta, firstRows: n)
                var loss = 0.0
                for (e, label) in zip(etaOut, y) { loss += (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))) - Double(label) * e }
                return loss + 0.5 * parameters.l2 * beta.dropFirst().reduce(0) { $0 + $1 * $1 }
            }
            let predictor = RawPredictor(beta, means: means, inverseScales: inverseScales)
            var loss = 0.0
            try source.forEachBatch(maxRows: blockRows) { first, xs in
                for r in 0..<(xs.count / max(1, p)) {
                    let e = predictor.eta(xs, row: r)
                    // log(1 + e^η) − yη, computed without overflow.
                    loss += (e > 0 ? e + log1p(exp(-e)) : log1p(exp(e))) - Double(y[first + r]) * e
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
        var loss = try penalisedLoss(beta, eta: &currentEta)
        while iterations < parameters.maxIterations {
            iterations += 1
            var gradient = [Double](repeating: 0, count: width)
            var hessian = Matrix(rows: width, columns: width)
            let predictor = RawPredictor(beta, means: means, inverseScales: inverseScales)
            try forEachBlock { start, count, raw in
                var residual = [Double](repeating: 0, count: count)
                design.values.withUnsafeBufferPointer { d in
                    weighted.values.withUnsafeMutableBufferPointer { out in
                        for r in 0..<count {
                            let prob = sigmoid(raw.map { predictor.eta($0, row: r) } ?? currentEta[start + r])
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
                candidateLoss = try penalisedLoss(candidate, eta: &candidateEta)
                if candidateLoss <= loss + 1e-12 * abs(loss) { break }
                scale /= 2
            }
            beta = candidate
            swap(&currentEta, &candidateEta)
            if abs(loss - candidateLoss) <= 1e-15 * max(1, abs(loss)) && scale < 1e-6 { loss = candidateLoss; break }
            loss = candidateLoss
        }
        // Perfect separation: every training row already predicted with certainty; the optimum is at infinity.
        var separable = n > 0
        if whole {
            separable = separable && (0..<n).allSatisfy { i in (y[i] == 1 ? currentEta[i] : -currentEta[i]) > 13 }
        } else if separable {
            let predictor = RawPredictor(beta, means: means, inverseScales: inverseScales)
            try source.forEachBatch(maxRows: blockRows) { first, xs in
                for r in 0..<(xs.count / max(1, p)) where separable {
                    let e = predictor.eta(xs, row: r)
                    separable = (y[first + r] == 1 ? e : -e) > 13
                }
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

/// η of a raw row with the coefficients taken back to the features' scale: no block to
/// standardise. A missing value stands at the mean: its term, c·(x − mean), is 0.
struct RawPredictor {
    let c: [Double], base: Double, missing: [Double]
    init(_ beta: [Double], means: [Double], inverseScales: [Double]) {
        c = (0..<means.count).map { beta[$0 + 1] * inverseScales[$0] }
        base = beta[0] - zip(c, means).reduce(0) { $0 + $1.0 * $1.1 }
        missing = zip(c, means).map { $0 * $1 }
    }
    @inline(__always) func eta(_ xs: UnsafeBufferPointer<Double>, row: Int) -> Double {
        let p = c.count
        var e = base
        for j in 0..<p {
            let v = xs[row * p + j]
            e += v.isNaN ? missing[j] : c[j] * v
        }
        return e
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
