import Foundation

/// When `recur refresh` promotes a candidate: all conditions must hold, e.g.
/// `auc_gain>=0.002,p<0.05,ece<=0.03` (the default).
public struct PromotionRule: Sendable, Equatable, CustomStringConvertible {
    public static let standard = "auc_gain>=0.002,p<0.05,ece<=0.03"

    /// The quantities a condition can name, measured on the comparison's rows.
    public enum Quantity: String, Sendable, CaseIterable {
        /// Candidate AUC minus production AUC.
        case aucGain = "auc_gain"
        /// Paired DeLong p-value of that difference.
        case p
        /// The candidate's expected calibration error.
        case ece
        /// The candidate's AUC, log loss and Brier score.
        case auc, logLoss = "log_loss", brier
        /// Production's log loss minus the candidate's (positive: the candidate is better).
        case logLossGain = "log_loss_gain"
    }

    /// One `quantity op value` condition.
    public struct Condition: Sendable, Equatable, CustomStringConvertible {
        public var quantity: Quantity
        public var op: String
        public var value: Double
        public var description: String { "\(quantity.rawValue)\(op)\(value)" }

        func holds(_ x: Double) -> Bool {
            guard !x.isNaN else { return false }
            switch op {
            case ">=": return x >= value
            case "<=": return x <= value
            case ">": return x > value
            case "<": return x < value
            default: return x == value
            }
        }
    }

    public var conditions: [Condition]
    public var description: String { conditions.map(\.description).joined(separator: ",") }

    public init(parsing text: String) throws(RefreshError) {
        var conditions = [Condition]()
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !part.isEmpty {
            guard let op = [">=", "<=", ">", "<", "="].first(where: { part.contains($0) }), let range = part.range(of: op) else {
                throw .badRule(part, "expected QUANTITY OP NUMBER such as auc_gain>=0.002")
            }
            let name = part[..<range.lowerBound].trimmingCharacters(in: .whitespaces), number = part[range.upperBound...].trimmingCharacters(in: .whitespaces)
            guard let quantity = Quantity(rawValue: name) else {
                throw .badRule(part, "unknown quantity \(name); known: \(Quantity.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard let value = Double(number) else { throw .badRule(part, "\(number) is not a number") }
            conditions.append(Condition(quantity: quantity, op: op, value: value))
        }
        guard !conditions.isEmpty else { throw .badRule(text, "no conditions") }
        self.conditions = conditions
    }

    /// The value of `quantity` for a challenger against the baseline.
    public static func value(_ quantity: Quantity, candidate: ScoreComparison.Model, production: ScoreComparison.Model) -> Double {
        switch quantity {
        case .aucGain: candidate.metrics.rocAUC - production.metrics.rocAUC
        case .p: candidate.versusBaseline?.p ?? .nan
        case .ece: candidate.metrics.calibrationError
        case .auc: candidate.metrics.rocAUC
        case .logLoss: candidate.metrics.logLoss
        case .brier: candidate.metrics.brier
        case .logLossGain: production.metrics.logLoss - candidate.metrics.logLoss
        }
    }

    /// Whether the candidate passes, and one line per condition saying why.
    public func judge(candidate: ScoreComparison.Model, production: ScoreComparison.Model) -> (passes: Bool, reasons: [String]) {
        var passes = true, reasons = [String]()
        for condition in conditions {
            let x = Self.value(condition.quantity, candidate: candidate, production: production)
            let ok = condition.holds(x)
            passes = passes && ok
            let shown = abs(x) < 0.0001 && x != 0 ? String(format: "%.2e", x) : String(format: "%.4f", x)
            reasons.append("\(condition.quantity.rawValue) = \(shown) \(ok ? "meets" : "fails") \(condition.op)\(condition.value)")
        }
        return (passes, reasons)
    }
}

/// Why `recur refresh` cannot go on, with what to do about it.
public enum RefreshError: Error, CustomStringConvertible, Equatable {
    case badRule(String, String)
    case noProduction(String)
    case notEnoughData(String)

    public var description: String {
        switch self {
        case .badRule(let part, let why): "--promote-if '\(part)': \(why)"
        case .noProduction(let alias): "no model behind the alias \(alias): train one and run `recur models promote V --alias \(alias)` first"
        case .notEnoughData(let why): "nothing to refresh on: \(why)"
        }
    }
}
