import Foundation

/// What one `recur refresh` works towards, derived from the production model and the data alone so
/// that running it again on the same data plans the same thing: the newest evaluation cutoff whose
/// labels are complete, the candidate's training cutoffs (whose labels all end by then), and its name.
public struct RefreshPlan: Sendable, Equatable {
    public var evaluationCutoff: Timestamp
    public var trainingCutoffs: [Timestamp]
    public var every: TimeSpan
    public var horizon: TimeSpan
    public var candidate: String

    /// `production`: the model behind the alias; `lastEvent`: the newest stored event time.
    public init(production: ModelMetadata, lastEvent: Timestamp, every override: TimeSpan? = nil) throws(RefreshError) {
        let cutoffs = production.cutoffs.compactMap(DateText.parse).sorted()
        guard let holdout = DateText.parse(production.holdoutCutoff), let horizon = TimeSpan(parsing: production.horizon) else {
            throw .notEnoughData("production model \(production.version) has unreadable cutoffs or horizon")
        }
        let gaps = zip(cutoffs.dropFirst(), cutoffs).map { $0 - $1 }.filter { $0.microseconds > 0 }
        guard let every = override ?? gaps.last, every.microseconds > 0 else {
            throw .notEnoughData("production model \(production.version) has one cutoff; give --every")
        }
        // Labels of a cutoff C are complete when C + horizon is at most a day past the last event
        // (the rule training uses). Walk the production model's grid forward from its holdout.
        let limit = lastEvent.microseconds + Timestamp.microsecondsPerDay - horizon.microseconds
        guard holdout.microseconds <= limit else {
            throw .notEnoughData(
                "the production model's holdout \(holdout.iso8601) + \(production.horizon) already reaches past the last event \(lastEvent.iso8601)")
        }
        let steps = (limit - holdout.microseconds) / every.microseconds
        let evaluation = holdout + every * steps
        let trainingCount = max(1, cutoffs.filter { $0 != holdout }.count)
        // The newest grid cutoffs whose labels end by the evaluation cutoff: nothing the candidate learns overlaps it.
        var training = [Timestamp]()
        var t = evaluation - every
        while t.microseconds + horizon.microseconds > evaluation.microseconds { t = t - every }
        while training.count < trainingCount {
            training.insert(t, at: 0)
            t = t - every
        }
        evaluationCutoff = evaluation
        trainingCutoffs = training
        self.every = every
        self.horizon = horizon
        candidate = "refresh-" + evaluation.dateString
    }
}

extension RefreshPlan {
    /// The candidate's training request: the production model's kind, population and parameters on
    /// the plan's cutoffs, with the evaluation cutoff as its holdout.
    public func trainingRequest(production: ModelMetadata, set: FeatureSet) -> ModelTrainer.Request {
        var request = ModelTrainer.Request(version: candidate, kind: production.kind, set: set, cutoffs: trainingCutoffs + [evaluationCutoff], horizon: horizon)
        request.holdoutCutoff = evaluationCutoff
        request.population = TrainingSet.Population(rawValue: production.population) ?? .active
        let p = production.parameters
        func number(_ key: String) -> Double? { p[key].flatMap(Double.init) }
        func integer(_ key: String) -> Int? { p[key].flatMap { Int($0) } }
        if let l2 = number("l2") { request.logistic.l2 = l2; request.gbdt.l2 = l2 }
        if let tolerance = number("tolerance") { request.logistic.tolerance = tolerance }
        if let trees = integer("trees") { request.gbdt.trees = trees }
        if let leaves = integer("leaves") { request.gbdt.leaves = leaves }
        if let rate = number("learning_rate") { request.gbdt.learningRate = rate }
        if let leaf = integer("min_samples_per_leaf") { request.gbdt.minSamplesPerLeaf = leaf }
        if let bins = integer("bins") { request.gbdt.bins = bins }
        if let threads = integer("threads") { request.gbdt.threads = threads }
        if let rounds = integer("early_stopping_rounds") { request.gbdt.earlyStoppingRounds = rounds }
        request.btydFeatures = p["btyd_features"].map { !$0.isEmpty && $0 != "false" } ?? false
        if let mode = p["calibration"].flatMap(Calibrator.Mode.init) { request.calibration = mode }
        return request
    }
}
