import Foundation

/// Everything `recur models compare` found, as written to metrics.json: where the rows came from,
/// what each model is, and the comparison itself.
public struct ComparisonReport: Sendable, Codable {
    /// One model as the report describes it.
    public struct ModelInfo: Sendable, Codable {
        public var name: String
        /// logistic, gbdt, or "scores" for a column of --scores.
        public var kind: String
        public var featureSet: String?
        public var horizon: String?
        public var trainingCutoffs: [String]
        public var holdoutCutoff: String?
        public var learntLabelsUntil: String?
        public var importances: [String: Double]

        enum CodingKeys: String, CodingKey {
            case name, kind, featureSet = "feature_set", horizon, trainingCutoffs = "training_cutoffs", holdoutCutoff = "holdout_cutoff"
            case learntLabelsUntil = "learnt_labels_until", importances
        }
    }

    /// Where the evaluation rows came from.
    public struct Provenance: Sendable, Codable {
        public var cutoff: String
        public var horizon: String
        public var population: String
        public var rows: Int
        public var positives: Int
        public var evaluationSetSHA256: String
        public var exclusions: [String]
        public var scoresFile: ExternalScores.Matching?
        /// Models whose training labels reach past the cutoff, compared anyway under --allow-overlap.
        public var overlaps: [String]
        public var codeVersion: String
        public var createdAt: String

        enum CodingKeys: String, CodingKey {
            case cutoff, horizon, population, rows, positives, evaluationSetSHA256 = "evaluation_set_sha256", exclusions
            case scoresFile = "scores_file", overlaps, codeVersion = "code_version", createdAt = "created_at"
        }
    }

    public var provenance: Provenance
    public var models: [ModelInfo]
    public var comparison: ScoreComparison
    /// Expected against actual purchases and spend, when buy-till-you-die or spend models are compared.
    public var purchases: PurchaseCountReport?

    public init(
        set: EvaluationSet, models: [ComparedModel], comparison: ScoreComparison, matching: ExternalScores.Matching?,
        overlaps: [String], codeVersion: String, purchases: PurchaseCountReport? = nil
    ) {
        provenance = Provenance(
            cutoff: set.cutoff.iso8601, horizon: set.horizon.description, population: set.population.rawValue,
            rows: set.rows, positives: comparison.positives, evaluationSetSHA256: set.fingerprint, exclusions: set.exclusions,
            scoresFile: matching, overlaps: overlaps, codeVersion: codeVersion, createdAt: Timestamp.now.iso8601)
        let byName = Dictionary(models.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.models = set.modelNames.map { name in
            guard let model = byName[name], let artifact = model.artifact, let metadata = model.metadata else {
                return ModelInfo(
                    name: name, kind: "scores", featureSet: nil, horizon: nil, trainingCutoffs: [], holdoutCutoff: nil,
                    learntLabelsUntil: nil, importances: [:])
            }
            return ModelInfo(
                name: name, kind: artifact.kind.rawValue, featureSet: metadata.featureSet, horizon: metadata.horizon,
                trainingCutoffs: model.trainingCutoffs.map(\.iso8601), holdoutCutoff: metadata.holdoutCutoff,
                learntLabelsUntil: model.learntLabelsUntil?.iso8601,
                importances: Dictionary(model.importances.map { ($0.feature, $0.share) }, uniquingKeysWith: +))
        }
        self.comparison = comparison
        self.purchases = purchases
    }

    /// Models whose training labels reach past `cutoff`: compared on these rows, they would be graded on what they learnt.
    public static func overlaps(_ models: [ComparedModel], cutoff: Timestamp) -> [ComparisonError] {
        models.compactMap { model in
            guard let until = model.learntLabelsUntil, cutoff < until else { return nil }
            return .overlap(model: model.name, learntUntil: until.iso8601, cutoff: cutoff.iso8601)
        }
    }

    /// metrics.json: sorted keys, NaN written as null so any JSON reader takes it.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let data = try encoder.encode(self)
        // JSON has no NaN: the strategy above marks them, and they become null.
        return Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"NaN\"", with: "null").utf8)
    }
}
