import Foundation

/// Evaluation metrics of predicted probabilities against 0/1 labels, used for every model and report.
public struct Metrics: Sendable, Codable, Equatable {
    public var rows: Int
    public var baseRate: Double
    public var rocAUC: Double
    public var prAUC: Double
    public var logLoss: Double
    public var brier: Double
    /// Expected calibration error over 10 equal-width probability bins.
    public var calibrationError: Double
    /// Positive rate in the top 10% of scores divided by the base rate.
    public var liftTopDecile: Double

    enum CodingKeys: String, CodingKey {
        case rows, baseRate = "base_rate", rocAUC = "roc_auc", prAUC = "pr_auc", logLoss = "log_loss", brier
        case calibrationError = "ece", liftTopDecile = "lift_top_decile"
    }

    /// Equal scores, NaN included: a score that is not a number ties with the others, so a model that
    /// gives none (a spend model) or a broken one cannot stall the loops below.
    static func tied(_ a: Double, _ b: Double) -> Bool { a == b || (a.isNaN && b.isNaN) }

    public init(predictions p: [Double], labels y: [UInt8]) {
        precondition(p.count == y.count)
        let n = p.count
        rows = n
        let positives = y.reduce(0) { $0 + Int($1) }
        baseRate = n == 0 ? .nan : Double(positives) / Double(n)
        var loss = 0.0, brier = 0.0
        for i in 0..<n {
            let q = min(max(p[i], 1e-15), 1 - 1e-15)
            loss -= y[i] == 1 ? log(q) : log(1 - q)
            brier += (p[i] - Double(y[i])) * (p[i] - Double(y[i]))
        }
        logLoss = n == 0 ? .nan : loss / Double(n)
        self.brier = n == 0 ? .nan : brier / Double(n)

        let order = (0..<n).sorted { p[$0] > p[$1] }
        // ROC AUC by ranks, ties sharing the average rank.
        let negatives = n - positives
        if positives == 0 || negatives == 0 {
            rocAUC = .nan
            prAUC = .nan
        } else {
            var rankSum = 0.0
            var i = 0
            while i < n {
                var j = i
                while j + 1 < n && Self.tied(p[order[j + 1]], p[order[i]]) { j += 1 }
                // Ranks counted from the lowest score: positions i...j from the top.
                let averageRank = Double(n - i + n - j) / 2
                for k in i...j where y[order[k]] == 1 { rankSum += averageRank }
                i = j + 1
            }
            rocAUC = (rankSum - Double(positives) * Double(positives + 1) / 2) / (Double(positives) * Double(negatives))
            // Average precision, tied scores taken as one threshold.
            var truePositives = 0, seen = 0, ap = 0.0
            i = 0
            while i < n {
                var j = i
                var tiedPositives = 0
                while j < n && Self.tied(p[order[j]], p[order[i]]) { tiedPositives += Int(y[order[j]]); j += 1 }
                truePositives += tiedPositives
                seen = j
                ap += Double(tiedPositives) / Double(positives) * Double(truePositives) / Double(seen)
                i = j
            }
            prAUC = ap
        }
        var binCount = [Int](repeating: 0, count: 10), binP = [Double](repeating: 0, count: 10), binY = [Double](repeating: 0, count: 10)
        for i in 0..<n {
            let b = p[i] >= 1 ? 9 : (p[i] > 0 ? Int(p[i] * 10) : 0)
            binCount[b] += 1; binP[b] += p[i]; binY[b] += Double(y[i])
        }
        calibrationError = n == 0 ? .nan : (0..<10).reduce(0.0) { $0 + abs(binP[$1] - binY[$1]) } / Double(n)
        let top = max(1, n / 10)
        let topPositives = order.prefix(top).reduce(0) { $0 + Int(y[$1]) }
        liftTopDecile = baseRate > 0 ? (Double(topPositives) / Double(top)) / baseRate : .nan
    }
}
