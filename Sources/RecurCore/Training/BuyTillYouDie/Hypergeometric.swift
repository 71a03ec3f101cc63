import Foundation

/// Gauss's ₂F₁(a, b; a + 1; z), the form the Pareto/NBD likelihood needs, on the log scale, for
/// 0 ≤ z < 1 and 0 < b < a + 1.
///
/// Its series converges like zᵏ, so past z = ½ it needs thousands of terms and, with b large, its
/// terms and their sum overflow. There Pfaff's transformation turns it into
/// (1 − z)^(−b) · ₂F₁(1, b; a + 1; z/(z − 1)), whose Euler integral is an expectation over a
/// Beta(b, a + 1 − b) variable of 1/(1 + wT), w = z/(1 − z): a bounded, smooth function, taken by
/// tanh-sinh quadrature (which keeps the Beta density's endpoint singularities exact) as a ratio of
/// two sums, so the density's normalising constant cancels.
public enum Hypergeometric {
    public static func logF(a: Double, b: Double, z: Double) -> Double {
        precondition(z >= 0 && z < 1 && b > 0 && b < a + 1, "₂F₁(a, b; a+1; z) needs 0 ≤ z < 1 and 0 < b < a + 1")
        if z == 0 { return 0 }
        if z <= 0.5 { return log(series(a: a, b: b, z: z)) }
        return -b * log1p(-z) + log(pfaffExpectation(a: a, b: b, w: z / (1 - z)))
    }

    /// Σ (a)ₖ(b)ₖ / ((a+1)ₖ k!) zᵏ, to the last bit a double holds.
    static func series(a: Double, b: Double, z: Double) -> Double {
        var term = 1.0, sum = 1.0
        for k in 0..<100_000 {
            let n = Double(k)
            term *= (a + n) / (a + n + 1) * (b + n) / (n + 1) * z
            sum += term
            if term < 1e-17 * sum { break }
        }
        return sum
    }

    /// The tanh-sinh nodes over t ∈ (0, 1): ln t, ln(1 − t), the log of the transform's Jacobian and
    /// t, each computed once (they do not depend on the integrand), so a quadrature costs one exp per node.
    static let nodes: [(lnT: Double, ln1T: Double, lnJacobian: Double, t: Double)] = (-160...160).compactMap { k in
        let u = Double(k) / 32
        let s = Double.pi / 2 * sinh(u)
        // t and 1 − t each straight from the transform: neither loses digits near its end.
        let lnT = -log1p(exp(-2 * s)), ln1T = -log1p(exp(2 * s))
        let lnJacobian = log(Double.pi) + log(cosh(u)) + lnT + ln1T
        guard lnT.isFinite, ln1T.isFinite, lnJacobian.isFinite else { return nil }
        return (lnT, ln1T, lnJacobian, exp(lnT))
    }

    /// E[1 / (1 + wT)] for T ~ Beta(b, a + 1 − b), by tanh-sinh quadrature over t ∈ (0, 1).
    static func pfaffExpectation(a: Double, b: Double, w: Double) -> Double {
        let p = b, q = a + 1 - b
        // Log-weights first, so the largest can be factored out before exponentiating.
        var top = -Double.infinity
        for node in nodes {
            let lnWeight = (p - 1) * node.lnT + (q - 1) * node.ln1T + node.lnJacobian
            if lnWeight.isFinite && lnWeight > top { top = lnWeight }
        }
        var weighted = 0.0, total = 0.0
        for node in nodes {
            let lnWeight = (p - 1) * node.lnT + (q - 1) * node.ln1T + node.lnJacobian
            guard lnWeight.isFinite else { continue }
            let weight = exp(lnWeight - top)
            weighted += weight / (1 + w * node.t)
            total += weight
        }
        return weighted / total
    }
}
