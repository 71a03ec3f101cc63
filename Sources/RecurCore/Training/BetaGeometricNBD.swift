import Foundation

/// The BG/NBD buy-till-you-die model of Fader, Hardie & Lee (2005): while alive a customer buys at
/// rate λ ~ Gamma(r, α); after each purchase they drop out with probability p ~ Beta(a, b). Fitted
/// by maximum likelihood on each customer's (frequency x, recency tₓ, age T), where x counts repeat
/// purchase days and times run from the first purchase, in any one unit (days here, weeks in the paper).
public struct BetaGeometricNBD: Sendable, Codable, Equatable {
    public var r: Double
    public var alpha: Double
    public var a: Double
    public var b: Double
    /// The log-likelihood of the data it was fitted on.
    public var logLikelihood: Double

    enum CodingKeys: String, CodingKey { case r, alpha, a, b, logLikelihood = "log_likelihood" }

    public init(r: Double, alpha: Double, a: Double, b: Double, logLikelihood: Double = .nan) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
        self.logLikelihood = logLikelihood
    }

    /// One customer's summary: x repeat purchase days, the last at tₓ, observed for T since the first.
    public struct Customer: Sendable, Hashable {
        public var frequency: Double
        public var recency: Double
        public var age: Double
        public init(frequency: Double, recency: Double, age: Double) {
            self.frequency = frequency
            self.recency = recency
            self.age = age
        }
    }

    /// Equation (6) of the paper, on the log scale; the sum over customers is the log-likelihood.
    static func logLikelihood(_ c: Customer, r: Double, alpha: Double, a: Double, b: Double) -> Double {
        let x = c.frequency
        let lnA1 = lgamma(r + x) - lgamma(r) + r * log(alpha)
        let lnA2 = lgamma(a + b) + lgamma(b + x) - lgamma(b) - lgamma(a + b + x)
        let lnA3 = -(r + x) * log(alpha + c.age)
        guard x > 0 else { return lnA1 + lnA2 + lnA3 }
        let lnA4 = log(a) - log(b + x - 1) - (r + x) * log(alpha + c.recency)
        let high = max(lnA3, lnA4)
        return lnA1 + lnA2 + high + log(exp(lnA3 - high) + exp(lnA4 - high))
    }

    /// Maximum likelihood by Nelder–Mead on the logarithms of (r, α, a, b), restarted until it stops moving.
    public static func fit(_ customers: [Customer]) -> BetaGeometricNBD {
        // Customers with the same summary share one term.
        var weights = [Customer: Double]()
        for c in customers { weights[c, default: 0] += 1 }
        // Terms that depend only on x are summed once per distinct x.
        var byFrequency = [Double: [(recency: Double, age: Double, weight: Double)]]()
        for (c, w) in weights { byFrequency[c.frequency, default: []].append((c.recency, c.age, w)) }
        let frequencies = byFrequency.map { (x: $0.key, rows: $0.value, weight: $0.value.reduce(0) { $0 + $1.weight }) }
        func negative(_ v: [Double]) -> Double {
            let r = exp(v[0]), alpha = exp(v[1]), a = exp(v[2]), b = exp(v[3])
            var sum = 0.0
            let lnAlpha = log(alpha), lnA = log(a), shared = lgamma(a + b) - lgamma(b) - lgamma(r) + r * lnAlpha
            for group in frequencies {
                let x = group.x
                sum += group.weight * (shared + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x))
                let lnRatio = x > 0 ? lnA - log(b + x - 1) : 0
                for row in group.rows {
                    let lnA3 = -(r + x) * log(alpha + row.age)
                    if x > 0 {
                        let lnA4 = lnRatio - (r + x) * log(alpha + row.recency)
                        let high = max(lnA3, lnA4)
                        sum += row.weight * (high + log(exp(lnA3 - high) + exp(lnA4 - high)))
                    } else {
                        sum += row.weight * lnA3
                    }
                }
            }
            return sum.isFinite ? -sum : .infinity
        }
        let meanAge = customers.map(\.age).reduce(0, +) / Double(max(1, customers.count))
        var best = NelderMead.minimize(negative, start: [0, log(max(1e-3, meanAge / 10)), 0, 0])
        for _ in 0..<6 {
            let next = NelderMead.minimize(negative, start: best.point, step: 0.1)
            let improved = best.value - next.value
            best = next.value < best.value ? next : best
            if improved < 1e-10 { break }
        }
        let v = best.point
        return BetaGeometricNBD(r: exp(v[0]), alpha: exp(v[1]), a: exp(v[2]), b: exp(v[3]), logLikelihood: -best.value)
    }

    /// P(alive at T | x, tₓ, T), equation (A.1) of Fader, Hardie & Lee's note on P(alive).
    public func probabilityAlive(_ c: Customer) -> Double {
        guard c.frequency > 0 else { return 1 }
        let x = c.frequency
        let lnRatio = log(a) - log(b + x - 1) + (r + x) * (log(alpha + c.age) - log(alpha + c.recency))
        return 1 / (1 + exp(lnRatio))
    }

    /// P(at least one purchase in (T, T + t]): alive, and the Gamma(r + x, α + T) posterior rate gives one.
    public func probabilityOfPurchase(_ c: Customer, within t: Double) -> Double {
        let none = exp((r + c.frequency) * (log(alpha + c.age) - log(alpha + c.age + t)))
        return probabilityAlive(c) * (1 - none)
    }

    /// E[purchases in (T, T + t] | x, tₓ, T], equation (10) of the paper.
    public func expectedPurchases(_ c: Customer, within t: Double) -> Double {
        let x = c.frequency
        let z = t / (alpha + c.age + t)
        let power = exp((r + x) * (log(alpha + c.age) - log(alpha + c.age + t)))
        let numerator = (a + b + x - 1) / (a - 1) * (1 - power * Self.hypergeometric(r + x, b + x, a + b + x - 1, z))
        let denominator = x > 0 ? 1 + a / (b + x - 1) * exp((r + x) * (log(alpha + c.age) - log(alpha + c.recency))) : 1
        return numerator / denominator
    }

    /// Gauss's ₂F₁(a, b; c; z) by its series, for 0 ≤ z < 1.
    static func hypergeometric(_ a: Double, _ b: Double, _ c: Double, _ z: Double) -> Double {
        var term = 1.0, sum = 1.0
        for k in 0..<100_000 {
            let n = Double(k)
            term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
            sum += term
            if abs(term) < 1e-15 * abs(sum) { break }
        }
        return sum
    }
}

/// Nelder–Mead simplex minimisation (with the standard coefficients), for smooth low-dimensional fits.
enum NelderMead {
    static func minimize(_ f: ([Double]) -> Double, start: [Double], step: Double = 0.5, tolerance: Double = 1e-12, iterations: Int = 20_000) -> (
        point: [Double], value: Double
    ) {
        let n = start.count
        var simplex =
            [start]
            + (0..<n).map { i in
                var p = start; p[i] += step; return p
            }
        var values = simplex.map(f)
        for _ in 0..<iterations {
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-30) { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = along(-1), fr = f(reflected)
            if fr < values[0] {
                let expanded = along(-2), fe = f(expanded)
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr)
            } else if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr)
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5), fc = f(contracted)
                if fc < min(fr, values[n]) {
                    (simplex[n], values[n]) = (contracted, fc)
                } else {
                    for j in 1...n {
                        simplex[j] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                        values[j] = f(simplex[j])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], values[best])
    }
}
