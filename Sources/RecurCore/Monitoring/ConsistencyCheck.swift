import Postgres

/// `recur monitor consistency`: each logged answer's feature vector recomputed offline from the
/// stored events, as of the answer's time, with the same fold the backfill uses.
///
/// A value that differs is *late* when refolding only the events stored up to some moment before
/// the answer gives the served value: the server answered right with what it had seen (an event
/// came after the answer, or was stored just before it and not yet synced to the server, or the
/// server was cut off from the database). Otherwise it is *skew*: the two sides computed it differently.
public struct ConsistencyCheck {
    /// Counts for one feature.
    public struct FeatureCount: Sendable, Equatable {
        public var name: String
        public var checked = 0
        public var mismatched = 0
        /// Mismatches explained by events stored after the answer.
        public var late = 0
        public var skew: Int { mismatched - late }
    }

    /// One disagreement, for the report's examples.
    public struct Example: Sendable {
        public var user: String
        public var asOf: Timestamp
        public var feature: String
        public var served: Double
        public var offline: Double
        public var late: Bool
    }

    public struct Report: Sendable {
        public var answers = 0
        /// Answers whose vectors were recomputed (the rest named a feature set this catalog lacks).
        public var checked = 0
        public var mismatched = 0
        public var late = 0
        public var skew: Int { mismatched - late }
        public var unknownSets: [String] = []
        /// Logged scores recomputed from the logged vector with the logged model's artifact.
        public var scoresChecked = 0
        public var scoresMismatched = 0
        /// Models the registry no longer holds: their answers' scores are not checked.
        public var unknownModels: [String] = []
        public var features: [FeatureCount] = []
        public var examples: [Example] = []
    }

    public let catalog: FeatureCatalog
    /// Where the logged models are, to check the scores too; nil checks features only.
    public let registry: ModelRegistry?

    public init(catalog: FeatureCatalog, registry: ModelRegistry? = nil) {
        self.catalog = catalog
        self.registry = registry
    }

    public func run(_ answers: [ServedAnswer], on connection: Connection) throws -> Report {
        var report = Report()
        report.answers = answers.count
        var counts = [String: [FeatureCount]]()
        var unknown = Set<String>()
        let users = Array(Set(answers.map(\.user))).sorted()
        var events = [String: [(time: Int64, type: UInt8, cents: Int64, storedAt: Int64?)]]()
        // In chunks: a user list of any length, one round trip per thousand users.
        for start in stride(from: 0, to: users.count, by: 1_000) {
            let chunk = Array(users[start..<min(users.count, start + 1_000)])
            let rows = try connection.query(
                """
                SELECT user_id, (extract(epoch FROM ts) * 1000000)::bigint, event_type, coalesce((amount * 100)::bigint, 0),
                       (extract(epoch FROM stored_at) * 1000000)::bigint
                FROM events WHERE user_id = ANY($1::text[]) ORDER BY user_id, ts
                """, [ArrayLiteral.text(chunk)])
            for row in rows.rows {
                let type = EventType(rawValue: try row.require(String.self, 2)) ?? .view
                events[try row.require(String.self, 0), default: []].append(
                    (try row.require(Int64.self, 1), UserFeatureState.code(type), try row.require(Int64.self, 3), try row.decode(Int64.self, 4)))
            }
        }
        var models = [String: ModelArtifact?]()
        for answer in answers {
            if let registry {
                if models[answer.model] == nil { models[answer.model] = .some(try? registry.load(answer.model).0) }
                if let artifact = models[answer.model]!, artifact.featureNames.count == answer.features.count {
                    report.scoresChecked += 1
                    let score = answer.features.withUnsafeBufferPointer { artifact.probability($0) }
                    if !Self.same(score, answer.score) { report.scoresMismatched += 1 }
                }
            }
            let reference = "\(answer.setName)@\(answer.setVersion)"
            guard let set = try? catalog.resolve(reference), set.features.count == answer.features.count else {
                unknown.insert(reference)
                continue
            }
            report.checked += 1
            let mine = events[answer.user] ?? []
            func fold(storedBy: Int64?) -> [Double] {
                var state = UserFeatureState(set: set)
                for event in mine where event.time < answer.asOf.microseconds {
                    if let storedBy, let storedAt = event.storedAt, storedAt > storedBy { continue }
                    state.apply(time: event.time, type: event.type, cents: event.cents)
                }
                return state.values(asOf: answer.asOf)
            }
            let offline = fold(storedBy: nil)
            // What the server may have seen: the events stored up to some moment before the answer.
            var seen: [[Double]]?
            func seenViews() -> [[Double]] {
                let cuts = Set(mine.compactMap(\.storedAt).filter { $0 <= answer.loggedAt.microseconds }).sorted(by: >).prefix(64)
                return cuts.map { fold(storedBy: $0) } + [fold(storedBy: Int64.min)]
            }
            var featureCounts = counts[reference] ?? set.featureNames.map { FeatureCount(name: $0) }
            var anyMismatch = false, allLate = true
            for index in offline.indices {
                featureCounts[index].checked += 1
                guard !Self.same(answer.features[index], offline[index]) else { continue }
                anyMismatch = true
                featureCounts[index].mismatched += 1
                if seen == nil { seen = seenViews() }
                let late = seen!.contains { Self.same(answer.features[index], $0[index]) }
                if late { featureCounts[index].late += 1 } else { allLate = false }
                if report.examples.count < 20 {
                    report.examples.append(
                        Example(
                            user: answer.user, asOf: answer.asOf, feature: set.featureNames[index], served: answer.features[index], offline: offline[index],
                            late: late))
                }
            }
            counts[reference] = featureCounts
            if anyMismatch {
                report.mismatched += 1
                if allLate { report.late += 1 }
            }
        }
        report.unknownSets = unknown.sorted()
        report.unknownModels = models.filter { $0.value == nil }.keys.sorted()
        report.features = counts.keys.sorted().flatMap { counts[$0]! }
        return report
    }

    /// Equal bit for bit, or both missing.
    static func same(_ a: Double, _ b: Double) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }
}
