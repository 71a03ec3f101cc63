import Foundation

/// One model in a comparison: a stored artifact, or a column of scores brought from elsewhere.
public struct ComparedModel: Sendable {
    public var name: String
    public var artifact: ModelArtifact?
    public var metadata: ModelMetadata?

    public init(name: String, artifact: ModelArtifact?, metadata: ModelMetadata?) {
        self.name = name
        self.artifact = artifact
        self.metadata = metadata
    }

    /// The cutoffs the model learnt from: all of its cutoffs but the holdout.
    public var trainingCutoffs: [Timestamp] {
        guard let metadata else { return [] }
        return metadata.cutoffs.compactMap(DateText.parse).filter { $0.iso8601 != metadata.holdoutCutoff }
    }

    /// Where the model's labels could reach: its last training cutoff plus its horizon.
    public var learntLabelsUntil: Timestamp? {
        guard let last = trainingCutoffs.max(), let horizon = metadata.flatMap({ TimeSpan(parsing: $0.horizon) }) else { return nil }
        return last + horizon
    }

    /// Importance of each feature, normalised to sum 1: |standardised coefficient| or split gain.
    public var importances: [(feature: String, share: Double)] {
        guard let artifact else { return [] }
        let raw = artifact.kind == .logistic ? (artifact.logistic?.coefficients.map(abs) ?? []) : (artifact.gbdt?.gainImportance ?? [])
        let total = raw.reduce(0, +)
        guard total > 0 else { return [] }
        return zip(artifact.inputNames, raw).map { ($0.0, $0.1 / total) }
    }
}

/// Why a comparison was refused or could not be built.
public enum ComparisonError: Error, CustomStringConvertible, Equatable {
    case overlap(model: String, learntUntil: String, cutoff: String)
    case tooFewModels
    case featureSetMismatch(model: String, set: String)
    case noRows(String)
    case scoresFile(path: String, line: Int, message: String)
    case nanScores(model: String, rows: Int)
    case refused([ComparisonError], earliestCleanCutoff: String)

    public var description: String {
        switch self {
        case .overlap(let model, let until, let cutoff):
            return "model \(model) learnt labels up to \(until) (last training cutoff + horizon), after the evaluation cutoff \(cutoff)"
        case .tooFewModels: return "give at least two models to compare (or one model and --scores FILE)"
        case .featureSetMismatch(let model, let set):
            return "model \(model) lists features that differ from feature set \(set) as defined here; add the set's definition with --features-dir"
        case .noRows(let why): return "no evaluation rows: \(why)"
        case .scoresFile(let path, let line, let message): return "\(path):\(line): \(message)"
        case .refused(let overlaps, let earliest):
            return "refusing a comparison on rows a model could have learnt from: " + overlaps.map(\.description).joined(separator: "; ")
                + ". Use --cutoff \(earliest) or later, or --allow-overlap"
        case .nanScores(let model, let rows): return "model \(model) gave no score (NaN) for \(rows) rows; its artifact may be damaged"
        }
    }
}
