import Foundation

/// The curves a comparison report draws, from one model's scores and the labels.
public enum ScoreCurves {
    /// A point of a curve.
    public struct Point: Sendable, Equatable { public var x: Double; public var y: Double }

    /// Rows by descending score, and the end of each run of tied scores in that order.
    static func descending(_ scores: [Double]) -> (order: [Int], ends: [Int]) {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var ends = [Int]()
        for i in order.indices where i + 1 == order.count || scores[order[i + 1]] != scores[order[i]] { ends.append(i + 1) }
        return (order, ends)
    }

    /// ROC: (false positive rate, true positive rate) at each distinct threshold, thinned to about `points`.
    public static func roc(_ scores: [Double], _ labels: [UInt8], points: Int = 300) -> [Point] {
        let positives = Double(labels.reduce(0) { $0 + Int($1) }), negatives = Double(labels.count) - positives
        guard positives > 0, negatives > 0 else { return [] }
        let (order, ends) = descending(scores)
        var curve = [Point(x: 0, y: 0)]
        var tp = 0.0, fp = 0.0, start = 0
        for end in ends {
            for t in start..<end { if labels[order[t]] == 1 { tp += 1 } else { fp += 1 } }
            curve.append(Point(x: fp / negatives, y: tp / positives))
            start = end
        }
        return thin(curve, to: points)
    }

    /// Precision against recall at each distinct threshold, thinned.
    public static func precisionRecall(_ scores: [Double], _ labels: [UInt8], points: Int = 300) -> [Point] {
        let positives = Double(labels.reduce(0) { $0 + Int($1) })
        guard positives > 0 else { return [] }
        let (order, ends) = descending(scores)
        var curve = [Point]()
        var tp = 0.0, start = 0
        for end in ends {
            for t in start..<end where labels[order[t]] == 1 { tp += 1 }
            curve.append(Point(x: tp / positives, y: tp / Double(end)))
            start = end
        }
        return thin(curve, to: points)
    }

    /// Cumulative gains: share of positives found against share of users contacted, best scores first.
    public static func gains(_ scores: [Double], _ labels: [UInt8], points: Int = 100) -> [Point] {
        let positives = Double(labels.reduce(0) { $0 + Int($1) })
        guard positives > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
        var curve = [Point(x: 0, y: 0)], tp = 0.0
        for (i, row) in order.enumerated() {
            tp += Double(labels[row])
            curve.append(Point(x: Double(i + 1) / Double(order.count), y: tp / positives))
        }
        return thin(curve, to: points)
    }

    /// One bin of a reliability diagram.
    public struct ReliabilityBin: Sendable, Equatable { public var meanPredicted: Double; public var observed: Double; public var rows: Int }

    /// Mean predicted against observed rate in 10 equal-width bins (the bins of the ECE); empty bins left out.
    public static func reliability(_ scores: [Double], _ labels: [UInt8], bins: Int = 10) -> [ReliabilityBin] {
        var count = [Int](repeating: 0, count: bins), sumP = [Double](repeating: 0, count: bins), sumY = [Double](repeating: 0, count: bins)
        for i in scores.indices {
            let b = scores[i] >= 1 ? bins - 1 : (scores[i] > 0 ? Int(scores[i] * Double(bins)) : 0)
            count[b] += 1; sumP[b] += scores[i]; sumY[b] += Double(labels[i])
        }
        return (0..<bins).filter { count[$0] > 0 }.map {
            ReliabilityBin(meanPredicted: sumP[$0] / Double(count[$0]), observed: sumY[$0] / Double(count[$0]), rows: count[$0])
        }
    }

    /// Share of each class's rows in each of `bins` equal-width score bins over [low, high].
    public static func histogram(_ scores: [Double], _ labels: [UInt8], bins: Int = 20, low: Double, high: Double) -> (positives: [Double], negatives: [Double])
    {
        var pos = [Double](repeating: 0, count: bins), neg = [Double](repeating: 0, count: bins)
        let width = high > low ? (high - low) / Double(bins) : 1
        for i in scores.indices {
            let b = min(bins - 1, max(0, Int((scores[i] - low) / width)))
            if labels[i] == 1 { pos[b] += 1 } else { neg[b] += 1 }
        }
        let np = max(1, pos.reduce(0, +)), nn = max(1, neg.reduce(0, +))
        return (pos.map { $0 / np }, neg.map { $0 / nn })
    }

    /// Keeps about `count` points spread along the curve, always the first and the last.
    static func thin(_ curve: [Point], to count: Int) -> [Point] {
        guard curve.count > count, count > 2 else { return curve }
        let step = Double(curve.count - 1) / Double(count - 1)
        return (0..<count).map { curve[Int((Double($0) * step).rounded())] }
    }
}
