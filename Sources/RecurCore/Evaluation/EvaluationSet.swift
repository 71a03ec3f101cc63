import Crypto
import Foundation

/// The rows every model in a comparison is scored on: (user, cutoff) with the label from the
/// events, each model's score from the features of its own feature-set version as of the cutoff.
public struct EvaluationSet: Sendable {
    public var cutoff: Timestamp
    public var horizon: TimeSpan
    public var population: TrainingSet.Population
    public var users: [String]
    public var labels: [UInt8]
    public var modelNames: [String]
    /// `scores[k][r]`: model k's probability for row r.
    public var scores: [[Double]]
    /// Rows left out and why, for the report (never silently dropped).
    public var exclusions: [String] = []
    /// Expected purchases and spend per row, when buy-till-you-die or spend models are compared.
    public var expected = ExpectedColumns()

    public var rows: Int { labels.count }

    /// SHA-256 over the sorted (user, cutoff, label) rows: two reports with one hash used the same rows.
    public var fingerprint: String {
        var text = ""
        for i in users.indices.sorted(by: { users[$0] < users[$1] }) { text += "\(users[i])\t\(cutoff.microseconds)\t\(labels[i])\n" }
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Loads one row set per feature-set version the models use, keeps the users present in all of
    /// them (counting the rest), and scores each model on its own version's features.
    /// A spend model, when given, is not scored: its expected spend is kept for each row.
    public static func build(
        models: [ComparedModel], spend: ComparedModel? = nil, cutoff: Timestamp, horizon: TimeSpan, population: TrainingSet.Population,
        catalog: FeatureCatalog, store: Store
    ) throws -> EvaluationSet {
        var sets = [String: (FeatureSet, TrainingSet)]()
        for (reference, set) in try featureSets(of: models + (spend.map { [$0] } ?? []), catalog: catalog) {
            sets[reference] = (set, try TrainingSet.load(set: set, cutoffs: [cutoff], horizon: horizon, population: population, store: store))
        }
        let references = sets.keys.sorted()
        guard let first = references.first, let base = sets[first]?.1 else { throw ComparisonError.tooFewModels }
        // Users present at the cutoff in every feature-set version.
        var common = Set(base.users)
        var exclusions = [String]()
        for reference in references.dropFirst() { common.formIntersection(sets[reference]!.1.users) }
        for reference in references {
            let dropped = sets[reference]!.1.rows - common.count
            if dropped > 0 { exclusions.append("\(dropped) rows of \(reference) have no snapshot in another model's feature set at \(cutoff.iso8601)") }
        }
        let users = base.users.filter { common.contains($0) }.sorted()
        guard !users.isEmpty else {
            throw ComparisonError.noRows("no user has snapshots at \(cutoff.iso8601) in every feature set (\(references.joined(separator: ", ")))")
        }
        var rowOf = [String: [String: Int]]()
        for reference in references {
            let data = sets[reference]!.1
            var index = [String: Int](minimumCapacity: data.rows)
            for i in 0..<data.rows { index[data.users[i]] = i }
            rowOf[reference] = index
        }
        let labels = users.map { base.labels[rowOf[first]![$0]!] }
        var scores = [[Double]]()
        for model in models {
            guard let artifact = model.artifact else { scores.append([]); continue }
            let reference = "\(artifact.featureSetName)@\(artifact.featureSetVersion)"
            let data = sets[reference]!.1, index = rowOf[reference]!
            let p = data.featureNames.count
            let column = data.features.withUnsafeBufferPointer { all in
                users.map { user -> Double in
                    let i = index[user]!
                    return artifact.probability(UnsafeBufferPointer(rebasing: all[(i * p)..<((i + 1) * p)]))
                }
            }
            let missing = column.filter(\.isNaN).count
            if missing > 0 { throw ComparisonError.nanScores(model: model.name, rows: missing) }
            scores.append(column)
        }
        var result = EvaluationSet(
            cutoff: cutoff, horizon: horizon, population: population, users: users, labels: labels,
            modelNames: models.map(\.name), scores: scores, exclusions: exclusions)
        result.expected = ExpectedColumns.compute(models: models, spend: spend) { artifact in
            let reference = "\(artifact.featureSetName)@\(artifact.featureSetVersion)"
            let data = sets[reference]!.1, index = rowOf[reference]!
            return .init(features: data.features, width: data.featureNames.count, index: users.map { index[$0]! })
        }
        return result
    }

    /// Each distinct feature set version the stored models read, checked against the model's feature names.
    static func featureSets(of models: [ComparedModel], catalog: FeatureCatalog) throws -> [(reference: String, set: FeatureSet)] {
        var found: [(reference: String, set: FeatureSet)] = []
        for model in models {
            guard let artifact = model.artifact else { continue }
            let reference = "\(artifact.featureSetName)@\(artifact.featureSetVersion)"
            if found.contains(where: { $0.reference == reference }) { continue }
            let set = try catalog.resolve(reference)
            guard set.featureNames == artifact.featureNames else { throw ComparisonError.featureSetMismatch(model: model.name, set: reference) }
            found.append((reference, set))
        }
        return found
    }

    /// Keeps the rows `keep` says to, in every model.
    public func filtered(_ keep: [Bool]) -> EvaluationSet {
        var copy = self
        let rows = users.indices.filter { keep[$0] }
        copy.users = rows.map { users[$0] }
        copy.labels = rows.map { labels[$0] }
        copy.scores = scores.map { column in column.isEmpty ? [] : rows.map { column[$0] } }
        copy.expected = expected.rows(rows)
        return copy
    }
}
