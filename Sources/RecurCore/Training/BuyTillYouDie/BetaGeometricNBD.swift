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
    /// How the fit ended; nil in artifacts made before it was recorded.
    public var fit: FitReport?

    enum CodingKeys: String, CodingKey { case r, alpha, a, b, logLikelihood = "log_likelihood", fit }

    public init(r: Double, alpha: Double, a: Double, b: Double, logLikelihood: Double = .nan, fit: FitReport? = nil) {
        self.r = r
        self.alpha = alpha
        self.a = a
        self.b = b
        self.logLikelihood = logLikelihood
        self.fit = fit
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
        // Terms that depend only on x are summed once per distinct x. Sorted, so that the sums (and so
        // the fit) come out the same to the last digit in every run: dictionaries iterate in a
        // per-process order, and floating-point addition does not commute.
        var byFrequency = [Double: [(recency: Double, age: Double, weight: Double)]]()
        for (c, w) in weights.sorted(by: { ($0.key.frequency, $0.key.recency, $0.key.age) < ($1.key.frequency, $1.key.recency, $1.key.age) }) {
            byFrequency[c.frequency, default: []].append((c.recency, c.age, w))
        }
        let frequencies = byFrequency.keys.sorted().map { x in (x: x, rows: byFrequency[x]!, weight: byFrequency[x]!.reduce(0) { $0 + $1.weight }) }
        // Ages and recencies take few distinct values (whole days, at most a few thousand): log(α + t)
        // is computed once per value and evaluation, not twice per row.
        let times = Array(Set(frequencies.flatMap { $0.rows.flatMap { [$0.recency, $0.age] } })).sorted()
        let slot = Dictionary(uniqueKeysWithValues: times.enumerated().map { ($0.element, $0.offset) })
        // One flat list of rows (each with its frequency group), summed in two fixed halves on two
        // threads when there are many: the halves and their order never change, so neither does the sum.
        var rowGroup = [Int](), rowAge = [Int](), rowRecency = [Int](), rowWeight = [Double]()
        for (g, group) in frequencies.enumerated() {
            for row in group.rows {
                rowGroup.append(g)
                rowAge.append(slot[row.age]!)
                rowRecency.append(slot[row.recency]!)
                rowWeight.append(row.weight)
            }
        }
        let table = (group: rowGroup, age: rowAge, recency: rowRecency, weight: rowWeight)
        let halves = rowGroup.count >= 20_000 ? [0..<(rowGroup.count / 2), (rowGroup.count / 2)..<rowGroup.count] : [0..<rowGroup.count]
        var logs = [Double](repeating: 0, count: times.count)
        var slopes = [Double](repeating: 0, count: frequencies.count), ratios = slopes
        func negative(_ v: [Double]) -> Double {
            let r = exp(v[0]), alpha = exp(v[1]), a = exp(v[2]), b = exp(v[3])
            for k in times.indices { logs[k] = log(alpha + times[k]) }
            var sum = 0.0
            let lnAlpha = log(alpha), lnA = log(a), shared = lgamma(a + b) - lgamma(b) - lgamma(r) + r * lnAlpha
            for (g, group) in frequencies.enumerated() {
                let x = group.x
                sum += group.weight * (shared + lgamma(r + x) + lgamma(b + x) - lgamma(a + b + x))
                slopes[g] = r + x
                ratios[g] = x > 0 ? lnA - log(b + x - 1) : .nan
            }
            var parts = [Double](repeating: 0, count: halves.count)
            logs.withUnsafeBufferPointer { logs in
                slopes.withUnsafeBufferPointer { slopes in
                    ratios.withUnsafeBufferPointer { ratios in
                        parts.withUnsafeMutableBufferPointer { parts in
                            let out = UnsafeMutableSendableBuffer(parts)
                            let l = UnsafeSendable(logs), sl = UnsafeSendable(slopes), ra = UnsafeSendable(ratios)
                            let work: @Sendable (Int) -> Void = { h in
                                var part = 0.0
                                for i in halves[h] {
                                    let g = table.group[i], rx = sl.buffer[g]
                                    let lnA3 = -rx * l.buffer[table.age[i]]
                                    let ratio = ra.buffer[g]
                                    if ratio.isNaN {
                                        part += table.weight[i] * lnA3
                                    } else {
                                        let lnA4 = ratio - rx * l.buffer[table.recency[i]]
                                        part += table.weight[i] * (max(lnA3, lnA4) + log1p(exp(-abs(lnA3 - lnA4))))
                                    }
                                }
                                out.buffer[h] = part
                            }
                            if halves.count == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: halves.count, execute: work) }
                        }
                    }
                }
            }
            for part in parts { sum += part }
            return sum.isFinite ? -sum : .infinity
        }
        // Summed over the sorted groups: the start point, and so the fit, cannot depend on the rows' order.
        let meanAge = frequencies.reduce(0) { sum, group in group.rows.reduce(sum) { $0 + $1.age * $1.weight } } / Double(max(1, customers.count))
        let best = NelderMead.minimizeWithRestarts(negative, start: [0, log(max(1e-3, meanAge / 10)), 0, 0])
        let v = best.point
        return BetaGeometricNBD(
            r: exp(v[0]), alpha: exp(v[1]), a: exp(v[2]), b: exp(v[3]), logLikelihood: -best.value,
            fit: FitReport(negative, at: best.point, iterations: best.iterations, customers: Double(customers.count)))
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
