import Foundation

/// Models compared on the same rows: metrics, DeLong intervals and paired tests against the first
/// model (the baseline), agreement between the scores, and optionally a bootstrap second opinion.
public struct ScoreComparison: Sendable, Codable, Equatable {
    /// One model's side of the table.
    public struct Model: Sendable, Codable, Equatable {
        public var name: String
        public var metrics: Metrics
        public var aucLow: Double
        public var aucHigh: Double
        public var aucStandardError: Double
        /// Share of all positives found in the top 10% of scores.
        public var captureTopDecile: Double
        /// DeLong's paired test against the baseline (nil for the baseline itself).
        public var versusBaseline: PairedTest?
        public var spearmanWithBaseline: Double
        /// Share of the baseline's top 10% that is also in this model's top 10%.
        public var topDecileOverlap: Double
        public var bootstrap: BootstrapOpinion?

        enum CodingKeys: String, CodingKey {
            case name, metrics, aucLow = "auc_ci_low", aucHigh = "auc_ci_high", aucStandardError = "auc_standard_error"
            case captureTopDecile = "capture_top_decile", versusBaseline = "delong_vs_baseline"
            case spearmanWithBaseline = "spearman_with_baseline", topDecileOverlap = "top_decile_overlap", bootstrap
        }
    }

    /// The bootstrap's view of one model: its AUC interval and its paired test against the baseline.
    public struct BootstrapOpinion: Sendable, Codable, Equatable {
        public var replicates: Int
        public var seed: UInt64
        public var aucLow: Double
        public var aucHigh: Double
        public var versusBaseline: PairedTest?

        enum CodingKeys: String, CodingKey { case replicates, seed, aucLow = "auc_ci_low", aucHigh = "auc_ci_high", versusBaseline = "vs_baseline" }
    }

    /// The same comparison restricted to one group of rows.
    public struct Segment: Sendable, Codable, Equatable {
        public var name: String
        public var rows: Int
        public var positives: Int
        public var models: [Model]
    }

    public var rows: Int
    public var positives: Int
    public var baseRate: Double
    public var models: [Model]
    public var segments: [Segment]

    enum CodingKeys: String, CodingKey { case rows, positives, baseRate = "base_rate", models, segments }

    /// `scores[k]` is model `names[k]`'s score of every row; `segments` names groups of row indices.
    public init(
        names: [String], scores: [[Double]], labels: [UInt8], segments: [(name: String, rows: [Int])] = [],
        bootstrapReplicates: Int = 0, seed: UInt64 = 1
    ) {
        precondition(names.count == scores.count && scores.allSatisfy { $0.count == labels.count })
        rows = labels.count
        positives = labels.reduce(0) { $0 + Int($1) }
        baseRate = rows > 0 ? Double(positives) / Double(rows) : .nan
        models = Self.compare(names: names, scores: scores, labels: labels, bootstrapReplicates: bootstrapReplicates, seed: seed)
        self.segments = segments.map { segment in
            let labels = segment.rows.map { labels[$0] }
            let scores = scores.map { model in segment.rows.map { model[$0] } }
            return Segment(
                name: segment.name, rows: labels.count, positives: labels.reduce(0) { $0 + Int($1) },
                models: Self.compare(names: names, scores: scores, labels: labels, bootstrapReplicates: 0, seed: seed))
        }
    }

    static func compare(names: [String], scores: [[Double]], labels: [UInt8], bootstrapReplicates: Int, seed: UInt64) -> [Model] {
        let delong = DeLong(scores: scores, labels: labels)
        let bootstrap = bootstrapReplicates > 0 ? PairedBootstrap(scores: scores, labels: labels, replicates: bootstrapReplicates, seed: seed) : nil
        let tops = scores.map { Self.topDecile($0) }
        let ranks = scores.map { DeLong.midranks($0) }
        let positives = labels.reduce(0) { $0 + Int($1) }
        return names.indices.map { k in
            let interval = delong.interval(k)
            let captured = tops[k].reduce(0) { $0 + Int(labels[$1]) }
            var opinion: BootstrapOpinion?
            if let bootstrap, !bootstrap.aucs.isEmpty {
                let b = bootstrap.interval(k)
                opinion = BootstrapOpinion(
                    replicates: bootstrapReplicates, seed: seed, aucLow: b.low, aucHigh: b.high,
                    versusBaseline: k == 0 ? nil : bootstrap.pairedTest(k, against: 0, difference: delong.aucs[k] - delong.aucs[0]))
            }
            let overlap = tops[0].isEmpty ? Double.nan : Double(Set(tops[0]).intersection(tops[k]).count) / Double(tops[0].count)
            var metrics = Metrics(predictions: scores[k], labels: labels)
            if !scores[k].allSatisfy({ $0 >= 0 && $0 <= 1 }) {
                // Scores that are not probabilities (say, log-odds brought with --scores) rank but do not calibrate.
                metrics.logLoss = .nan; metrics.brier = .nan; metrics.calibrationError = .nan
            }
            return Model(
                name: names[k], metrics: metrics,
                aucLow: interval.low, aucHigh: interval.high, aucStandardError: delong.variance(k).squareRoot(),
                captureTopDecile: positives > 0 ? Double(captured) / Double(positives) : .nan,
                versusBaseline: k == 0 ? nil : delong.pairedTest(k, against: 0),
                spearmanWithBaseline: Self.pearson(ranks[0], ranks[k]), topDecileOverlap: overlap, bootstrap: opinion)
        }
    }

    /// Rows of the top 10% of scores (at least one), highest first; ties broken by row order.
    static func topDecile(_ scores: [Double]) -> [Int] {
        guard !scores.isEmpty else { return [] }
        let count = max(1, scores.count / 10)
        return Array(scores.indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }.prefix(count))
    }

    /// Pearson correlation; of midranks, it is Spearman's rho with ties handled as averages.
    static func pearson(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard a.count > 1 else { return .nan }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for i in a.indices { sab += (a[i] - ma) * (b[i] - mb); saa += (a[i] - ma) * (a[i] - ma); sbb += (b[i] - mb) * (b[i] - mb) }
        return saa > 0 && sbb > 0 ? sab / (saa * sbb).squareRoot() : .nan
    }
}
