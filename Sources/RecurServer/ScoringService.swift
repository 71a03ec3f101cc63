import Atomics
import CRecurSystem
import Foundation
import NIOConcurrencyHelpers
import RecurCore

/// What the server answers from: every user's feature state in memory and the served model.
///
/// Thread-safe: event loops read, the feature sync and the model watcher write. Users live in the
/// sharded `OnlineUserTable`, the served model in an atomic, the rest behind `lock`; scoring runs
/// outside every lock. Each user keeps the span of as-of times over which only recency and tenure
/// move, so a request "as of now" costs a copy and a few subtractions, not a refold of the history.
public final class ScoringService: @unchecked Sendable {
    /// A model ready to score, with the feature set it reads; shared, never changed once loaded.
    public final class ServedModel: Sendable, AtomicReference {
        public let version: String
        public let artifact: ModelArtifact
        public let set: FeatureSet
        let scorer: ModelScorer
        /// Unique per loaded model: remembered scores carry it, so a swap never serves another model's.
        let serial: UInt64

        private static let lastSerial = ManagedAtomic<UInt64>(0)

        init(version: String, artifact: ModelArtifact, set: FeatureSet) {
            self.version = version
            self.artifact = artifact
            self.set = set
            scorer = ModelScorer(artifact)
            serial = Self.lastSerial.wrappingIncrementThenLoad(ordering: .relaxed)
        }
    }

    /// One score and how it was made.
    public struct Score: Sendable {
        public var probability: Double
        public var version: String
        /// The user has no stored events: scored from an empty history.
        public var cold: Bool
    }

    public let registry: ModelRegistry
    /// Set before serving by `--log-sample`: answers to keep, with their features.
    public var servedLog: ServedLog?
    /// The registry's listing PREDICT looks models up in, and when it was read.
    let predictionListing = NIOLockedValueBox<(Date, [ModelMetadata])?>(nil)
    public let modelReference: String
    public let set: FeatureSet
    /// Every feature set this server knows, as `GET /v1/feature-sets` lists them.
    public let catalog: FeatureCatalog
    private let lock = NIOLock()
    /// Read on every request: an atomic load, so event loops never queue on the lock for it.
    private let served: ManagedAtomic<ServedModel>
    /// Bumped on every swap: connections keep their own reference to the model and re-read it only
    /// when this moves, so the shared model object's reference count is not touched per request.
    private let swaps = ManagedAtomic(0)
    /// Set once every stored state has been loaded: until then the server is not ready.
    private let loaded = ManagedAtomic(false)
    private let loadedUsers = ManagedAtomic(0)
    private let expectedUsers = ManagedAtomic(0)
    private var byVersion: [String: ServedModel] = [:]
    private let users: OnlineUserTable
    /// A new state of the set: decoding starts from a copy, so the set's history lengths are
    /// worked out once.
    private let emptyState: UserFeatureState
    /// An empty history's values, which never change after 1970.
    private let coldSpan: FeatureValueSpan
    private var newestUpdate: Double = 0
    private var lastCatchUp = Date()
    private let started = Date()

    /// Loads the model `reference` (alias or version); the feature set comes from the model.
    /// With `--cluster-config`: the slots this node serves; it holds only their users.
    public let cluster: ClusterLayout?

    public init(registry: ModelRegistry, modelReference: String, catalog: FeatureCatalog, cluster: ClusterLayout? = nil) throws {
        self.cluster = cluster
        self.registry = registry
        self.modelReference = modelReference
        self.catalog = catalog
        let (artifact, _) = try registry.load(modelReference)
        let set = try catalog.resolve("\(artifact.featureSetName)@\(artifact.featureSetVersion)")
        guard set.featureNames == artifact.featureNames else {
            throw ServerError.modelMismatch("model \(modelReference) was trained on features that differ from \(set.reference) in this build")
        }
        self.set = set
        users = OnlineUserTable(set: set)
        emptyState = UserFeatureState(set: set)
        coldSpan = emptyState.valueSpan(asOf: Timestamp(microseconds: 0))
        served = ManagedAtomic(ServedModel(version: try registry.resolve(modelReference), artifact: artifact, set: set))
    }

    public var model: ServedModel { served.load(ordering: .acquiring) }
    var modelSwaps: Int { swaps.load(ordering: .acquiring) }
    public var userCount: Int { users.count }

    /// True once the features are loaded (a model is loaded before the service exists).
    public var isReady: Bool { loaded.load(ordering: .acquiring) }
    public func markFeaturesLoaded() {
        // The loading threads' freed batches, states and outgrown buffers stay in their malloc
        // arenas otherwise: measured, a third of the resident memory after a load.
        recur_release_free_memory()
        loaded.store(true, ordering: .releasing)
    }

    /// Users loaded so far and how many the store holds, while the first load runs.
    public var loadProgress: (loaded: Int, expected: Int) {
        (loadedUsers.load(ordering: .relaxed), expectedUsers.load(ordering: .relaxed))
    }

    /// Called before the first load with the store's user count.
    public func beginLoading(expected: Int) {
        expectedUsers.store(expected, ordering: .relaxed)
        users.reserve(users: expected)
    }

    /// What every scoring command answers until the first load is done, as Redis answers while it loads.
    public var loadingMessage: String {
        let (done, expected) = loadProgress
        return "Recur is loading users' features into memory (\(done) of \(expected) users); retry shortly"
    }

    /// Replaces users' states with these encoded ones (as `user_features` stores them); returns
    /// the users whose state could not be decoded, which keep what they had.
    ///
    /// Each state's span as of now is worked out here, on the caller's thread, so that requests
    /// find it ready; several threads may call this at once.
    @discardableResult
    public func update(_ changes: [(user: String, state: [UInt8])], newest: Double? = nil) -> [(user: String, error: Error)] {
        let now = Timestamp.now
        var entries = [(user: String, state: [UInt8], span: FeatureValueSpan)]()
        entries.reserveCapacity(changes.count)
        var failures = [(user: String, error: Error)]()
        for (user, bytes) in changes where cluster.map({ $0.owns(KeySlot.of(user)) }) ?? true {
            do {
                let state = try UserFeatureState(decoding: bytes, from: emptyState)
                entries.append((user, bytes, state.valueSpan(asOf: now)))
            } catch {
                failures.append((user, error))
            }
        }
        users.store(entries)
        if !isReady { loadedUsers.wrappingIncrement(by: entries.count, ordering: .relaxed) }
        lock.withLock {
            if let newest { newestUpdate = max(newestUpdate, newest) }
            lastCatchUp = Date()
        }
        return failures
    }

    /// Seconds since the newest feature update the server holds, and since it last checked.
    public var freshness: (updateAge: Double, catchUpAge: Double) {
        lock.withLock {
            (newestUpdate > 0 ? Date().timeIntervalSince1970 - newestUpdate : .infinity, Date().timeIntervalSince(lastCatchUp))
        }
    }

    func resolveModel(_ reference: String?) throws -> ServedModel {
        guard let reference else { return model }
        let version = try registry.resolve(reference)
        if let cached = lock.withLock({ byVersion[version] }) { return cached }
        let (artifact, _) = try registry.load(version)
        guard artifact.featureSetName == set.name, artifact.featureSetVersion == set.version else {
            throw ServerError.modelMismatch(
                "model \(version) reads \(artifact.featureSetName)@\(artifact.featureSetVersion); this server holds \(set.reference)")
        }
        let loaded = ServedModel(version: version, artifact: artifact, set: set)
        lock.withLock { byVersion[version] = loaded }
        return loaded
    }

    /// Features as of `at` (default: now): recency and windows move with the clock. Throws
    /// `PAST_AT` for a time the user's online state cannot answer exactly.
    public func features(of user: String, at: Timestamp? = nil) throws -> (values: [Double], cold: Bool) {
        try withFeatures(of: user, at: at) { values, cold in (Array(values), cold) }
    }

    /// Calls `body` with the user's features as of `at` (default: now) in a buffer that lives for the call.
    public func withFeatures<R>(of user: String, at: Timestamp? = nil, _ body: (UnsafeBufferPointer<Double>, _ cold: Bool) throws -> R) throws -> R {
        try withUnsafeTemporaryAllocation(of: Double.self, capacity: set.features.count) { buffer in
            let cold = try writeFeatures(of: user, at: at, into: buffer)
            return try body(UnsafeBufferPointer(buffer), cold)
        }
    }

    /// Writes the features into `buffer`; true when the user is unknown (cold start).
    private func writeFeatures(of user: String, at: Timestamp?, into buffer: UnsafeMutableBufferPointer<Double>) throws -> Bool {
        let time = at ?? Timestamp.now
        switch users.write(user, asOf: time, into: buffer) {
        case .written:
            return false
        case .expired(let encoded, let generation):
            let state = decodeStored(encoded)
            if at != nil {
                // Replays and evaluations ask for arbitrary times: answer exactly or not at all.
                if let earliest = state.earliestExactAsOf, time < earliest { throw Self.pastTime(time, earliest: earliest) }
                copy(state.values(asOf: time), into: buffer)
            } else {
                let span = state.valueSpan(asOf: time)
                span.write(asOf: time, into: buffer)
                users.renew(user, generation: generation, span: span)
            }
            return false
        case .unknown:
            // A cluster node holds only its slots: another node's user is not a newcomer here.
            if let (slot, primary) = cluster?.elsewhere(user) {
                throw RequestError(code: "MOVED", message: "\(slot) \(primary.host):\(primary.port)")
            }
            if coldSpan.covers(time) { coldSpan.write(asOf: time, into: buffer) } else { copy(emptyState.values(asOf: time), into: buffer) }
            return true
        }
    }

    /// The refusal of an as-of time whose windows reach events the online state has folded into totals.
    static func pastTime(_ time: Timestamp, earliest: Timestamp) -> RequestError {
        RequestError(
            code: "PAST_AT",
            message: "this user's online state answers exactly only from \(earliest) on, not at \(time): older events are folded into "
                + "totals; `recur features show USER --as-of TIME` (or `recur features join`) refolds the stored events")
    }

    /// A state the table holds was decoded once when it was stored, so decoding it again cannot fail.
    private func decodeStored(_ encoded: [UInt8]) -> UserFeatureState {
        do { return try UserFeatureState(decoding: encoded, from: emptyState) } catch { preconditionFailure("a stored state no longer decodes: \(error)") }
    }

    private func copy(_ values: [Double], into buffer: UnsafeMutableBufferPointer<Double>) {
        values.withUnsafeBufferPointer { _ = buffer.initialize(fromContentsOf: $0) }
    }

    public func score(_ user: String, model reference: String? = nil, at: Timestamp? = nil) throws -> Score {
        try score(user, with: try resolveModel(reference), at: at)
    }

    /// Throws `PAST_AT` as `features` does, and `BAD_MODEL` rather than answer a score that is not a number.
    func score(_ user: String, with model: ServedModel, at: Timestamp? = nil) throws -> Score {
        if let log = servedLog, log.shouldSample() { return try scoreAndLog(user, with: model, at: at, into: log) }
        if at == nil, let probability = scoreNow(user, with: model) {
            guard probability.isFinite else { throw Self.nonFinite(model) }
            return Score(probability: probability, version: model.version, cold: false)
        }
        return try withFeatures(of: user, at: at) { values, cold in
            let probability = model.scorer.probability(values)
            guard probability.isFinite else { throw Self.nonFinite(model) }
            return Score(probability: probability, version: model.version, cold: cold)
        }
    }

    /// A sampled answer: the features as of one instant, the score of exactly those, both logged.
    private func scoreAndLog(_ user: String, with model: ServedModel, at: Timestamp?, into log: ServedLog) throws -> Score {
        let time = at ?? Timestamp.now
        return try withFeatures(of: user, at: time) { values, cold in
            let probability = model.scorer.probability(values)
            guard probability.isFinite else { throw Self.nonFinite(model) }
            log.offer(
                ServedAnswer(
                    loggedAt: .now, user: user, asOf: time, atGiven: at != nil, model: model.version, setName: model.set.name,
                    setVersion: model.set.version, features: Array(values), score: probability, cold: cold))
            return Score(probability: probability, version: model.version, cold: cold)
        }
    }

    static func nonFinite(_ model: ServedModel) -> RequestError {
        RequestError(code: "BAD_MODEL", message: "model \(model.version) gives no finite score for this user; retrain it or promote another")
    }

    /// "As of now" for a known user whose span covers now; nil otherwise (the general path then
    /// refolds or answers a cold start). A tree model's score is remembered until a feature moving
    /// with the clock could pass one of its splits, so most requests skip features and trees alike.
    private func scoreNow(_ user: String, with model: ServedModel) -> Double? {
        let now = Timestamp.now
        let scorer = model.scorer
        let layout = users.layout
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: set.features.count) { buffer -> Double? in
            let lookup = users.score(user, asOf: now, model: model.serial, into: buffer) { values, row in
                let x = UnsafeBufferPointer(values)
                let probability = scorer.probability(x)
                guard scorer.isPiecewiseConstant else { return (probability, nil) }
                return (probability, layout.constantUntil(row: row, asOf: now, values: x) { scorer.nextSplit(feature: $0, atOrAbove: $1) })
            }
            if case .scored(let probability) = lookup { return probability }
            return nil
        }
    }

    public func explain(_ user: String, top: Int = 5) throws -> [(feature: String, contribution: Double)] {
        try explanation(user, top: top).contributions
    }

    /// The features that move a user's score most as of `at`, with the version that scored and whether the user is known.
    public func explanation(_ user: String, at: Timestamp? = nil, top: Int = 5) throws -> (
        contributions: [(feature: String, contribution: Double)], version: String, cold: Bool
    ) {
        let served = model
        let (values, cold) = try features(of: user, at: at)
        return (served.artifact.explain(values, top: top), served.version, cold)
    }

    /// Re-reads the alias; a model that fails its checks is refused and the current one keeps serving.
    @discardableResult
    public func reloadModel() -> Result<String, Error> {
        do {
            let version = try registry.resolve(modelReference)
            if version == model.version { return .success(version) }
            let next = try resolveModel(version)
            served.store(next, ordering: .releasing)
            swaps.wrappingIncrement(ordering: .releasing)
            return .success(version)
        } catch {
            return .failure(error)
        }
    }

    /// The aliases (sorted by name) and stored versions in the registry, as MODELS, INFO and
    /// `GET /v1/models` report them; empty when the folder cannot be read.
    public var storedModels: (aliases: [(alias: String, version: String)], versions: [String]) {
        let aliases = ((try? registry.aliases()) ?? [:]).sorted { $0.key < $1.key }.map { (alias: $0.key, version: $0.value) }
        return (aliases, (try? registry.list().map(\.version)) ?? [])
    }

    public var uptime: Double { Date().timeIntervalSince(started) }

    /// Up to `limit` of the users held, for distributions drawn over a sample.
    func sampleUsers(limit: Int) -> [String] { users.sampleUsers(limit: limit) }
}

/// Why the server cannot start or serve.
public enum ServerError: Error, CustomStringConvertible {
    case modelMismatch(String)
    case authRequired(String)
    case unreadableToken(String)
    case unreadableLoad(String)
    /// Another program listens on the port; `option` is the flag that chooses it.
    case portInUse(host: String, port: Int, option: String)

    public var description: String {
        switch self {
        case .portInUse(let host, let port, let option):
            "port \(port) on \(host) is already in use (another recur serve, or another program): stop it, or choose a free port with \(option)"
        case .modelMismatch(let message): message
        case .authRequired(let host): "binding to \(host) exposes the server beyond this machine: give --auth-token-file"
        case .unreadableToken(let path): "cannot read an auth token from \(path) (need one non-empty line)"
        case .unreadableLoad(let message): message
        }
    }
}
