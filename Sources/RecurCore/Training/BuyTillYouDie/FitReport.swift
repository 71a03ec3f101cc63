import Foundation

/// How a maximum-likelihood fit ended, so that a fit that did not converge is never silent: the
/// gradient of the mean log-likelihood (per customer, in the log-parameters the optimiser moves)
/// at the point it stopped, and the iterations it took.
public struct FitReport: Sendable, Codable, Equatable {
    public var iterations: Int
    public var gradientNorm: Double
    public var converged: Bool

    /// A stopping point whose gradient per customer is below this is a maximum, not a stall.
    public static let tolerance = 1e-4

    enum CodingKeys: String, CodingKey { case iterations, gradientNorm = "gradient_norm", converged }

    public init(iterations: Int, gradientNorm: Double, converged: Bool) {
        self.iterations = iterations
        self.gradientNorm = gradientNorm
        self.converged = converged
    }

    /// Measures the gradient of `negative` (the summed negative log-likelihood) at `point` by central differences.
    init(_ negative: ([Double]) -> Double, at point: [Double], iterations: Int, customers: Double) {
        var squares = 0.0
        for index in point.indices {
            let h = 1e-5 * max(1, abs(point[index]))
            var up = point, down = point
            up[index] += h
            down[index] -= h
            let slope = (negative(up) - negative(down)) / (2 * h) / max(1, customers)
            squares += slope * slope
        }
        let norm = squares.squareRoot()
        self.init(iterations: iterations, gradientNorm: norm, converged: norm.isFinite && norm <= Self.tolerance)
    }
}
