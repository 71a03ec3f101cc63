import Foundation

/// The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987): while alive a customer buys at rate
/// λ ~ Gamma(r, α) and dies at an exponential time of rate μ ~ Gamma(s, β). Fitted by maximum
/// likelihood on (x, tₓ, T) with the likelihood of Fader, Hardie & Lee's note (2005), whose ₂F₁ is
/// `Hypergeometric.logF` (exact past where the series fails).
public struct ParetoNBD: Sendable, Codable, Equatable {
    public var r: Double
    public var alpha: Double
    public var s: Double
    public var beta: Double
    public var logLikelihood: Double
    public var fit: FitReport?

    enum CodingKeys: String, CodingKey { case r, alpha, s, beta, logLikelihood = "log_likelihood", fit }

    public init(r: Double, alpha: Double, s: Double, beta: Double, logLikelihood: Double = .nan, fit: FitReport? = nil) {
        self.r = r
        self.alpha = alpha
        self.s = s
        self.beta = beta
        self.logLikelihood = logLikelihood
        self.fit = fit
    }

    public typealias Customer = BetaGeometricNBD.Customer

    /// ln A₀ of the note (the part of the likelihood where the customer died in (tₓ, T]); −∞ when tₓ = T.
    static func logA0(_ c: Customer, r: Double, alpha: Double, s: Double, beta: Double) -> Double {
        let a = r + s + c.frequency
        let (m, b) = alpha >= beta ? (alpha, s + 1) : (beta, r + c.frequency)
        let d = abs(alpha - beta)
        let first = Hypergeometric.logF(a: a, b: b, z: d / (m + c.recency)) - a * log(m + c.recency)
        let second = Hypergeometric.logF(a: a, b: b, z: d / (m + c.age)) - a * log(m + c.age)
        let gap = second - first
        return gap >= 0 ? -.infinity : first + log1p(-exp(gap))
    }

    static func logLikelihood(_ c: Customer, r: Double, alpha: Double, s: Double, beta: Double) -> Double {
        let x = c.frequency
        let head = lgamma(r + x) - lgamma(r) + r * log(alpha) + s * log(beta)
        let alive = -(r + x) * log(alpha + c.age) - s * log(beta + c.age)
        let died = log(s / (r + s + x)) + logA0(c, r: r, alpha: alpha, s: s, beta: beta)
        let high = max(alive, died)
        return head + high + log(exp(alive - high) + exp(died - high))
    }

    /// Maximum likelihood on the logarithms of (r, α, s, β); identical customers share one term, in a
    /// fixed order, so a run gives the same digits whatever the rows' order.
    public static func fit(_ customers: [Customer]) throws -> ParetoNBD {
        var weights = [Customer: Double]()
        for c in customers where c.age > 0 && c.recency <= c.age && c.frequency >= 0 { weights[c, default: 0] += 1 }
        let rows = weights.sorted { ($0.key.frequency, $0.key.recency, $0.key.age) < ($1.key.frequency, $1.key.recency, $1.key.age) }
        let count = rows.reduce(0) { $0 + $1.value }
        guard count >= 10 else { throw TrainingError.emptyTraining("Pareto/NBD needs customers; found \(Int(count))") }
        func negative(_ v: [Double]) -> Double {
            guard v.allSatisfy({ abs($0) < 20 }) else { return .infinity }
            let r = exp(v[0]), alpha = exp(v[1]), s = exp(v[2]), beta = exp(v[3])
            var sum = 0.0
            for (c, w) in rows { sum += w * logLikelihood(c, r: r, alpha: alpha, s: s, beta: beta) }
            return sum.isFinite ? -sum : .infinity
        }
        let meanAge = rows.reduce(0) { $0 + $1.value * $1.key.age } / count
        let best = NelderMead.minimizeWithRestarts(negative, start: [0, log(max(1e-3, meanAge / 4)), 0, log(max(1e-3, meanAge / 4))])
        let v = best.point
        return ParetoNBD(
            r: exp(v[0]), alpha: exp(v[1]), s: exp(v[2]), beta: exp(v[3]), logLikelihood: -best.value,
            fit: FitReport(negative, at: best.point, iterations: best.iterations, customers: count))
    }

    /// P(alive at T | x, tₓ, T).
    public func probabilityAlive(_ c: Customer) -> Double {
        let lnRatio =
            log(s / (r + s + c.frequency)) + (r + c.frequency) * log(alpha + c.age) + s * log(beta + c.age)
            + Self.logA0(c, r: r, alpha: alpha, s: s, beta: beta)
        return 1 / (1 + exp(lnRatio))
    }

    /// E[purchases in (T, T + t]]: P(alive) times the purchases of a customer who stays alive a
    /// Gamma-mixed exponential time, (r+x)(β+T)/((α+T)(s−1)) · [1 − ((β+T)/(β+T+t))^(s−1)].
    public func expectedPurchases(_ c: Customer, within t: Double) -> Double {
        let x = c.frequency
        let lnShrink = log(beta + c.age) - log(beta + c.age + t)
        // [1 − e^((s−1)·ln k)] / (s − 1), which tends to −ln k as s → 1.
        let lifetime = abs(s - 1) < 1e-10 ? -lnShrink : -expm1((s - 1) * lnShrink) / (s - 1)
        return (r + x) * (beta + c.age) / (alpha + c.age) * lifetime * probabilityAlive(c)
    }

    /// P(at least one purchase in (T, T + t]): alive at T, then a purchase before both t and death.
    /// P(none | alive) = E[e^(−(λ+μ)t)] + ∫₀ᵗ E[μ e^(−μu)] E[e^(−λu)] du, by Simpson's rule on 400 steps.
    public func probabilityOfPurchase(_ c: Customer, within t: Double) -> Double {
        guard t > 0 else { return 0 }
        let a = alpha + c.age, b = beta + c.age, shape = r + c.frequency
        func density(_ u: Double) -> Double { s / (b + u) * exp(s * (log(b) - log(b + u)) + shape * (log(a) - log(a + u))) }
        let steps = 400
        let h = t / Double(steps)
        var integral = density(0) + density(t)
        for k in 1..<steps { integral += (k % 2 == 1 ? 4 : 2) * density(Double(k) * h) }
        integral *= h / 3
        let neither = exp(shape * (log(a) - log(a + t)) + s * (log(b) - log(b + t)))
        return probabilityAlive(c) * (1 - min(1, neither + integral))
    }
}
