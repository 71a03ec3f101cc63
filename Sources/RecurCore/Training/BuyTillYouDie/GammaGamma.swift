import Foundation

/// The Gamma-Gamma spend model of Fader, Hardie & Lee (2005, "RFM and CLV"): a customer's spend per
/// transaction is Gamma(p, ν) around their own mean, and ν ~ Gamma(q, γ) across customers (γ is
/// `v` here, as lifetimes names it). Fitted on repeat customers' number of repeat transactions x and
/// mean spend m̄ by maximum likelihood; independent of the purchase process, as the model assumes.
public struct GammaGamma: Sendable, Codable, Equatable {
    public var p: Double
    public var q: Double
    public var v: Double
    public var logLikelihood: Double
    public var fit: FitReport?
    /// Repeat customers it was fitted on.
    public var fittedCustomers: Int

    enum CodingKeys: String, CodingKey { case p, q, v, logLikelihood = "log_likelihood", fit, fittedCustomers = "fitted_customers" }

    public init(p: Double, q: Double, v: Double, logLikelihood: Double = .nan, fit: FitReport? = nil, fittedCustomers: Int = 0) {
        self.p = p
        self.q = q
        self.v = v
        self.logLikelihood = logLikelihood
        self.fit = fit
        self.fittedCustomers = fittedCustomers
    }

    /// x repeat transactions with mean spend m̄ (both above 0 to count in the fit).
    public struct Customer: Sendable, Hashable {
        public var frequency: Double
        public var meanSpend: Double
        public init(frequency: Double, meanSpend: Double) {
            self.frequency = frequency
            self.meanSpend = meanSpend
        }
    }

    /// The log of equation (3) of the paper's note, as a density of m̄.
    static func logLikelihood(_ c: Customer, p: Double, q: Double, v: Double) -> Double {
        let x = c.frequency, m = c.meanSpend
        return lgamma(p * x + q) - lgamma(p * x) - lgamma(q) + q * log(v) + (p * x - 1) * log(m) + p * x * log(x) - (p * x + q) * log(x * m + v)
    }

    /// Maximum likelihood on the logarithms of (p, q, v). Identical customers are collapsed with
    /// weights, in a fixed order, so 10 million customers take seconds and every run gives the same digits.
    public static func fit(_ customers: [Customer]) throws -> GammaGamma {
        var weights = [Customer: Double]()
        for c in customers where c.frequency > 0 && c.meanSpend > 0 && c.frequency.isFinite && c.meanSpend.isFinite { weights[c, default: 0] += 1 }
        let rows = weights.sorted { ($0.key.frequency, $0.key.meanSpend) < ($1.key.frequency, $1.key.meanSpend) }
        let count = rows.reduce(0) { $0 + $1.value }
        guard count >= 10 else { throw TrainingError.emptyTraining("Gamma-Gamma needs repeat customers with a spend; found \(Int(count))") }
        // Terms of x alone are summed once per distinct x; each customer adds two logarithms.
        var byFrequency = [(x: Double, weight: Double, logX: Double, rows: [(m: Double, logM: Double, weight: Double)])]()
        for (c, w) in rows {
            if byFrequency.last?.x != c.frequency { byFrequency.append((c.frequency, 0, log(c.frequency), [])) }
            byFrequency[byFrequency.count - 1].weight += w
            byFrequency[byFrequency.count - 1].rows.append((c.meanSpend, log(c.meanSpend), w))
        }
        func negative(_ point: [Double]) -> Double {
            // Far out on the ridge where p·v/(q − 1) stays put the likelihood is flat: a bound keeps
            // the search finite, and the convergence report says if the fit ended against it.
            guard point.allSatisfy({ abs($0) < 25 }) else { return .infinity }
            let p = exp(point[0]), q = exp(point[1]), v = exp(point[2])
            let shared = -lgamma(q) + q * log(v)
            var sum = 0.0
            for group in byFrequency {
                let px = p * group.x
                sum += group.weight * (shared + lgamma(px + q) - lgamma(px) + px * group.logX)
                for row in group.rows { sum += row.weight * ((px - 1) * row.logM - (px + q) * log(group.x * row.m + v)) }
            }
            return sum.isFinite ? -sum : .infinity
        }
        let mean = rows.reduce(0) { $0 + $1.value * $1.key.meanSpend } / count
        let best = NelderMead.minimizeWithRestarts(negative, start: [0, log(2), log(max(1e-3, mean))])
        let v = best.point
        return GammaGamma(
            p: exp(v[0]), q: exp(v[1]), v: exp(v[2]), logLikelihood: -best.value,
            fit: FitReport(negative, at: best.point, iterations: best.iterations, customers: count), fittedCustomers: Int(count))
    }

    /// E[spend per transaction | x, m̄]: the population mean p·v/(q − 1) pulled towards the
    /// customer's own m̄ the more transactions they have (equation (5)); with none, the population mean.
    public func expectedSpend(_ c: Customer) -> Double {
        guard c.frequency > 0, c.meanSpend > 0 else { return q > 1 ? p * v / (q - 1) : .nan }
        return p * (v + c.frequency * c.meanSpend) / (p * c.frequency + q - 1)
    }
}
