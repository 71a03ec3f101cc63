import Foundation

/// A monotone map from a model's raw probability to a calibrated one, fitted on a cutoff the model
/// was not trained on: Platt scaling (a logistic curve in the raw log-odds) or isotonic regression
/// (pool-adjacent-violators, interpolated linearly between its blocks as scikit-learn does).
public struct Calibrator: Sendable, Codable, Equatable {
    /// How the calibrator was fitted.
    public enum Method: String, Sendable, Codable, CaseIterable { case platt, isotonic }

    /// What training is asked to do about calibration.
    public enum Mode: Sendable, Equatable {
        /// No calibrator: the model trains on every cutoff before the holdout.
        case none
        /// Platt, isotonic or none, whichever lowers log loss on a cutoff the model was not trained on.
        case auto
        /// This method, whatever validation says.
        case fixed(Method)

        /// `auto`, `none`, `platt` or `isotonic`.
        public init?(_ text: String) {
            switch text {
            case "auto": self = .auto
            case "none": self = .none
            default:
                guard let method = Method(rawValue: text) else { return nil }
                self = .fixed(method)
            }
        }

        public var name: String {
            switch self {
            case .none: "none"
            case .auto: "auto"
            case .fixed(let method): method.rawValue
            }
        }
    }

    public var method: Method
    /// Platt: p' = σ(slope · logit(p) + intercept).
    public var slope: Double?
    public var intercept: Double?
    /// Isotonic: knots (raw probability, calibrated probability), x non-decreasing; clipped outside.
    public var x: [Double]?
    public var y: [Double]?

    /// The calibrated probability of a raw one; NaN stays NaN.
    public func apply(_ p: Double) -> Double {
        guard !p.isNaN else { return p }
        switch method {
        case .platt:
            return sigmoid((slope ?? 1) * Self.logit(p) + (intercept ?? 0))
        case .isotonic:
            guard let x, let y, !x.isEmpty else { return p }
            if p <= x[0] { return y[0] }
            if p >= x[x.count - 1] { return y[y.count - 1] }
            var low = 0, high = x.count - 1
            while high - low > 1 {
                let middle = (low + high) / 2
                if x[middle] <= p { low = middle } else { high = middle }
            }
            let span = x[high] - x[low]
            return span > 0 ? y[low] + (p - x[low]) / span * (y[high] - y[low]) : y[high]
        }
    }

    /// No served probability is exactly 0 or 1: a model is never certain, and a 0 turns log loss
    /// infinite and hides every difference between users below it. NaN stays NaN.
    public static func strictlyInside(_ p: Double) -> Double {
        guard !p.isNaN else { return p }
        return Swift.min(Swift.max(p, smallest), 1 - smallest)
    }
    static let smallest = 1e-9

    static func logit(_ p: Double) -> Double {
        let q = min(max(p, 1e-12), 1 - 1e-12)
        return log(q / (1 - q))
    }

    /// Fits on raw probabilities `p` and their labels.
    public static func fit(_ method: Method, predictions p: [Double], labels y: [UInt8]) -> Calibrator {
        switch method {
        case .platt: return fitPlatt(p, y)
        case .isotonic: return fitIsotonic(p, y)
        }
    }

    /// Maximum likelihood of y ~ σ(a·logit(p) + b) by Newton's method on the two parameters.
    static func fitPlatt(_ p: [Double], _ y: [UInt8]) -> Calibrator {
        let z = p.map(logit)
        var a = 1.0, b = 0.0
        for _ in 0..<50 {
            var ga = 0.0, gb = 0.0, haa = 0.0, hab = 0.0, hbb = 0.0
            for i in z.indices {
                let q = sigmoid(a * z[i] + b), r = q - Double(y[i]), w = max(q * (1 - q), 1e-12)
                ga += r * z[i]; gb += r
                haa += w * z[i] * z[i]; hab += w * z[i]; hbb += w
            }
            // A tiny ridge keeps the step finite when every label is the same.
            haa += 1e-9; hbb += 1e-9
            let det = haa * hbb - hab * hab
            guard det > 0 else { break }
            let da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det
            a -= da; b -= db
            if abs(da) < 1e-12 && abs(db) < 1e-12 { break }
        }
        return Calibrator(method: .platt, slope: a, intercept: b)
    }

    /// Which calibration, if any, lowers log loss on rows the model was not trained on: each method is
    /// fitted on one half of `p` and scored on the other (and the other way round), so a method that
    /// only memorises its rows, as isotonic can, does not win. A method is kept only when its gain
    /// over the raw scores is more than twice its standard error (paired over the rows): a gain
    /// within the noise of one cutoff is no reason to change every score.
    public static func choose(predictions p: [Double], labels y: [UInt8], users: [String]) -> CalibrationChoice {
        var half = [Bool]()
        half.reserveCapacity(p.count)
        for user in users {
            var hash = StableHash()
            hash.add(Array(user.utf8))
            half.append((hash.low &* 0x9E37_79B9_7F4A_7C15) >> 63 == 0)
        }
        let first = p.indices.filter { half[$0] }, second = p.indices.filter { !half[$0] }
        func loss(_ q: Double, _ label: UInt8) -> Double {
            let v = Swift.min(Swift.max(q, 1e-15), 1 - 1e-15)
            return label == 1 ? -Foundation.log(v) : -Foundation.log(1 - v)
        }
        let raw = p.indices.map { loss(strictlyInside(p[$0]), y[$0]) }
        let n = Double(p.count)
        var losses: [String: Double] = ["none": raw.reduce(0, +) / n]
        var chosen: Method?
        var bestGain = 0.0
        if first.count >= 10 && second.count >= 10 {
            for method in Method.allCases {
                var rowLoss = [Double](repeating: 0, count: p.count)
                for (fit, score) in [(first, second), (second, first)] {
                    let calibrator = Calibrator.fit(method, predictions: fit.map { p[$0] }, labels: fit.map { y[$0] })
                    for i in score { rowLoss[i] = loss(strictlyInside(calibrator.apply(p[i])), y[i]) }
                }
                losses[method.rawValue] = rowLoss.reduce(0, +) / n
                let gains = zip(raw, rowLoss).map { $0 - $1 }
                let mean = gains.reduce(0, +) / n
                let variance = gains.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Swift.max(n - 1, 1)
                if mean > 2 * (variance / n).squareRoot() && mean > bestGain {
                    bestGain = mean
                    chosen = method
                }
            }
        }
        return CalibrationChoice(method: chosen, validationLogLoss: losses)
    }

    /// Pool-adjacent-violators on the rows sorted by raw probability, tied probabilities pooled first.
    static func fitIsotonic(_ p: [Double], _ y: [UInt8]) -> Calibrator {
        let order = p.indices.filter { !p[$0].isNaN }.sorted { p[$0] < p[$1] }
        // Blocks: (lowest x, highest x, sum of labels, rows).
        var blocks = [(low: Double, high: Double, sum: Double, count: Double)]()
        var i = 0
        while i < order.count {
            var j = i, sum = 0.0
            while j < order.count && p[order[j]] == p[order[i]] { sum += Double(y[order[j]]); j += 1 }
            blocks.append((p[order[i]], p[order[i]], sum, Double(j - i)))
            while blocks.count > 1 {
                let last = blocks[blocks.count - 1], previous = blocks[blocks.count - 2]
                guard previous.sum / previous.count >= last.sum / last.count else { break }
                blocks.removeLast(2)
                blocks.append((previous.low, last.high, previous.sum + last.sum, previous.count + last.count))
            }
            i = j
        }
        var x = [Double](), values = [Double]()
        // A block with no positives (or no negatives) says "rare", not "never": its value is kept half
        // a row inside (0, 1), which keeps the map monotone and every score a probability.
        let margin = 0.5 / (Double(order.count) + 1)
        for block in blocks {
            let value = Swift.min(Swift.max(block.sum / block.count, margin), 1 - margin)
            x.append(block.low); values.append(value)
            if block.high > block.low { x.append(block.high); values.append(value) }
        }
        return Calibrator(method: .isotonic, x: x, y: values)
    }
}

/// What `Calibrator.choose` found: the method (nil: none) and each candidate's cross-fitted log loss.
public struct CalibrationChoice: Sendable, Codable, Equatable {
    public var method: Calibrator.Method?
    /// Keyed by `none`, `platt` and `isotonic`: mean log loss on the half each was not fitted on.
    public var validationLogLoss: [String: Double]

    enum CodingKeys: String, CodingKey { case method, validationLogLoss = "validation_log_loss" }

    /// One line for the model's notes: the choice and why.
    public var reason: String {
        let losses = validationLogLoss.sorted { $0.value < $1.value }.map { String(format: "%@ %.5f", $0.key, $0.value) }.joined(separator: ", ")
        return "calibration chosen on rows the model was not trained on (log loss, cross-fitted: \(losses); a method must beat none by "
            + "two standard errors): \(method?.rawValue ?? "none")"
    }
}
