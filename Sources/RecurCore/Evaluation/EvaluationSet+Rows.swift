extension EvaluationSet {
    /// An evaluation set from your own labelled rows: each model scores every row with its own feature
    /// set's features as of the row's time. A model trained on the same file (same SHA-256) could have
    /// learnt from its rows before its holdout: only rows at or after the latest such holdout are kept.
    public static func build(models: [ComparedModel], rows source: LabelledRows, catalog: FeatureCatalog, store: Store) throws -> EvaluationSet {
        let stored = models.filter { $0.artifact != nil }
        var sets = [String: TrainingSet]()
        var sha256 = ""
        for (reference, set) in try featureSets(of: models, catalog: catalog) {
            let answered = try source.answered(set: set, store: store)
            sets[reference] = answered.data
            sha256 = answered.sha256
        }
        guard let base = sets.values.first else { throw ComparisonError.tooFewModels }
        var exclusions = [String]()
        var from = Int64.min
        for model in stored where model.metadata?.parameters["rows_sha256"] == sha256 {
            guard let start = model.metadata.flatMap({ DateText.parse($0.holdoutCutoff) }) else { continue }
            from = max(from, start.microseconds)
            exclusions.append("\(model.name) was trained on this file: rows before its holdout (\(start.iso8601)) are left out")
        }
        let kept = base.cutoffs.indices.filter { base.cutoffs[$0] >= from }
        guard !kept.isEmpty else { throw ComparisonError.noRows("no row of \(source.path) is at or after the holdout of the models trained on it") }
        if kept.count < base.rows { exclusions.append("\(base.rows - kept.count) of \(base.rows) rows left out") }
        var scores = [[Double]]()
        for model in models {
            guard let artifact = model.artifact else { scores.append([]); continue }
            let data = sets["\(artifact.featureSetName)@\(artifact.featureSetVersion)"]!
            let p = data.featureNames.count
            let column = data.features.withUnsafeBufferPointer { all in
                kept.map { i in artifact.probability(UnsafeBufferPointer(rebasing: all[(i * p)..<((i + 1) * p)])) }
            }
            let missing = column.filter(\.isNaN).count
            if missing > 0 { throw ComparisonError.nanScores(model: model.name, rows: missing) }
            scores.append(column)
        }
        return EvaluationSet(
            cutoff: Timestamp(microseconds: kept.map { base.cutoffs[$0] }.min()!), horizon: .days(0), population: .active,
            users: kept.map { base.users[$0] }, labels: kept.map { base.labels[$0] }, modelNames: models.map(\.name), scores: scores,
            exclusions: exclusions)
    }
}
