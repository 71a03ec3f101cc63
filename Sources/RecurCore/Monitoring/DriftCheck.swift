import Postgres

/// `recur monitor drift`: today's feature and score distributions against the model's training rows.
public struct DriftCheck {
    /// What "today" is.
    public enum Current: Sendable {
        /// The online states as of now, of at most `limit` users chosen by a hash of their id.
        case online(limit: Int)
        /// The vectors the server logged (`--log-sample`) since a time.
        case logged(since: Timestamp?)
    }

    public struct Report: Sendable {
        public var model: String
        public var featureSet: String
        public var referenceRows: Int
        public var currentRows: Int
        /// Says where the current rows came from, and whether they are a sample.
        public var currentSource: String
        public var score: Drift
        /// Ranked: the largest PSI first.
        public var features: [Drift]
    }

    public let artifact: ModelArtifact
    public let metadata: ModelMetadata
    public let set: FeatureSet

    public init(artifact: ModelArtifact, metadata: ModelMetadata, set: FeatureSet) {
        self.artifact = artifact
        self.metadata = metadata
        self.set = set
    }

    public func run(current: Current, store: Store) throws -> Report {
        let cutoffs = metadata.cutoffs.compactMap(DateText.parse)
        guard !cutoffs.isEmpty, cutoffs.count == metadata.cutoffs.count, let horizon = TimeSpan(parsing: metadata.horizon),
            let population = TrainingSet.Population(rawValue: metadata.population)
        else {
            throw DriftError.noReference(metadata.version)
        }
        let reference = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: horizon, population: population, store: store)
        let width = set.features.count
        let referenceRows = (0..<reference.rows).map { Array(reference.features[$0 * width..<($0 + 1) * width]) }
        let (rows, source) = try currentRows(current, connection: store.connection)
        guard !rows.isEmpty else { throw DriftError.noCurrentRows(source) }
        return Self.compare(
            model: metadata.version, set: set, scorer: ModelScorer(artifact), reference: referenceRows, current: rows, source: source)
    }

    /// The comparison itself, on rows already read: pure, for the tests.
    static func compare(model: String, set: FeatureSet, scorer: ModelScorer, reference: [[Double]], current: [[Double]], source: String) -> Report {
        func scores(_ rows: [[Double]]) -> [Double] { rows.map { row in row.withUnsafeBufferPointer { scorer.probability($0) } } }
        var features = set.featureNames.indices.map { index in
            Drift.measure(name: set.featureNames[index], reference: reference.map { $0[index] }, current: current.map { $0[index] })
        }
        features.sort { ($0.psi, $0.statistic) > ($1.psi, $1.statistic) }
        return Report(
            model: model, featureSet: set.reference, referenceRows: reference.count, currentRows: current.count, currentSource: source,
            score: Drift.measure(name: "score", reference: scores(reference), current: scores(current)), features: features)
    }

    private func currentRows(_ current: Current, connection: Connection) throws -> ([[Double]], String) {
        switch current {
        case .online(let limit):
            let now = Timestamp.now
            let total = try connection.query(
                "SELECT count(*) FROM user_features WHERE set_name = $1 AND set_version = $2", [set.name, set.version]
            ).require(Int.self, 0, 0)
            let rows = try connection.query(
                """
                SELECT encode(state, 'hex') FROM user_features WHERE set_name = $1 AND set_version = $2
                ORDER BY hashtext(user_id), user_id LIMIT $3
                """, [set.name, set.version, limit])
            let empty = UserFeatureState(set: set)
            var vectors = [[Double]]()
            vectors.reserveCapacity(rows.rowCount)
            for row in rows.rows {
                let state = try UserFeatureState(decoding: UserFeatureState.bytes(hex: try row.require(String.self, 0)), from: empty)
                vectors.append(state.values(asOf: now))
            }
            let sample = vectors.count < total ? "a sample of \(vectors.count) of \(total) users (by a hash of their id)" : "all \(total) users"
            return (vectors, "the online states as of \(now.iso8601), \(sample)")
        case .logged(let since):
            let answers = try ServedAnswers.read(since: since, on: connection).filter {
                $0.setName == set.name && $0.setVersion == set.version && $0.features.count == set.features.count
            }
            return (answers.map(\.features), "\(answers.count) answers logged by the server\(since.map { " since \($0.iso8601)" } ?? "")")
        }
    }

    /// Keeps the newest results for the server's gauges (`recur_feature_drift_psi`), replacing the model's previous ones.
    public static func save(_ report: Report, on connection: Connection) throws {
        try connection.transaction {
            try connection.execute("DELETE FROM drift_results WHERE model = $1", [report.model])
            for drift in report.features + [report.score] {
                try connection.execute(
                    "INSERT INTO drift_results (model, feature, psi, statistic, p_value, test, drifted) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    [
                        report.model, drift.name, drift.psi, drift.statistic.isFinite ? drift.statistic : nil, drift.pValue, drift.test.rawValue,
                        drift.drifted
                    ])
            }
        }
    }

    /// The newest saved PSI per (model, feature), for the gauges.
    public static func saved(on connection: Connection) throws -> [(model: String, feature: String, psi: Double, drifted: Bool)] {
        try connection.query("SELECT model, feature, coalesce(psi, 'NaN'), drifted FROM drift_results ORDER BY model, feature").rows.map {
            (try $0.require(String.self, 0), try $0.require(String.self, 1), try $0.require(Double.self, 2), try $0.require(Bool.self, 3))
        }
    }
}

/// Why drift cannot be measured, and what to do.
public enum DriftError: Error, CustomStringConvertible {
    case noReference(String)
    case noCurrentRows(String)

    public var description: String {
        switch self {
        case .noReference(let version):
            "model \(version) records no backfilled cutoffs to rebuild its training rows from (trained on your own rows?); measure drift against a model trained with --from/--to/--every"
        case .noCurrentRows(let source):
            "nothing to compare: \(source) hold no rows (backfill the features, or log answers with `recur serve --log-sample`)"
        }
    }
}
