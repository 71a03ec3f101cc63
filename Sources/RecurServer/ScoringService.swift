import Foundation
import NIOConcurrencyHelpers
import RecurCore

/// What the server answers from: every user's feature state in memory and the served model.
///
/// Thread-safe: event loops read, the feature sync and the model watcher write, all under one lock
/// held only for a dictionary lookup or a swap; scoring itself runs outside the lock.
public final class ScoringService: @unchecked Sendable {
    /// A model ready to score, with the feature set it reads.
    public struct ServedModel: Sendable {
        public var version: String
        public var artifact: ModelArtifact
        public var set: FeatureSet
    }

    /// One score and how it was made.
    public struct Score: Sendable {
        public var probability: Double
        public var version: String
        /// The user has no stored events: scored from an empty history.
        public var cold: Bool
    }

    public let registry: ModelRegistry
    public let modelReference: String
    public let set: FeatureSet
    private let catalog: FeatureCatalog
    private let lock = NIOLock()
    private var served: ServedModel
    private var byVersion: [String: ServedModel] = [:]
    private var states: [String: UserFeatureState] = [:]
    private var newestUpdate: Double = 0
    private var lastCatchUp = Date()
    private let started = Date()

    /// Loads the model `reference` (alias or version); the feature set comes from the model.
    public init(registry: ModelRegistry, modelReference: String, catalog: FeatureCatalog) throws {
        self.registry = registry
        self.modelReference = modelReference
        self.catalog = catalog
        let (artifact, _) = try registry.load(modelReference)
        let set = try catalog.resolve("\(artifact.featureSetName)@\(artifact.featureSetVersion)")
        guard set.featureNames == artifact.featureNames else {
            throw ServerError.modelMismatch("model \(modelReference) was trained on features that differ from \(set.reference) in this build")
        }
        self.set = set
        served = ServedModel(version: try registry.resolve(modelReference), artifact: artifact, set: set)
    }

    public var model: ServedModel { lock.withLock { served } }
    public var userCount: Int { lock.withLock { states.count } }

    /// Replaces users' states (from the database); returns how many there are now.
    @discardableResult
    public func update(_ changes: [(String, UserFeatureState)], newest: Double? = nil) -> Int {
        lock.withLock {
            for (user, state) in changes { states[user] = state }
            if let newest { newestUpdate = max(newestUpdate, newest) }
            lastCatchUp = Date()
            return states.count
        }
    }

    /// Seconds since the newest feature update the server holds, and since it last checked.
    public var freshness: (updateAge: Double, catchUpAge: Double) {
        lock.withLock {
            (newestUpdate > 0 ? Date().timeIntervalSince1970 - newestUpdate : .infinity, Date().timeIntervalSince(lastCatchUp))
        }
    }

    func state(of user: String) -> UserFeatureState? { lock.withLock { states[user] } }

    func resolveModel(_ reference: String?) throws -> ServedModel {
        guard let reference else { return model }
        let version = try registry.resolve(reference)
        if let cached = lock.withLock({ byVersion[version] }) { return cached }
        let (artifact, _) = try registry.load(version)
        guard artifact.featureSetName == set.name, artifact.featureSetVersion == set.version else {
            throw ServerError.modelMismatch("model \(version) reads \(artifact.featureSetName)@\(artifact.featureSetVersion); this server holds \(set.reference)")
        }
        let loaded = ServedModel(version: version, artifact: artifact, set: set)
        lock.withLock { byVersion[version] = loaded }
        return loaded
    }

    /// Features as of `at` (default: now): recency and windows move with the clock.
    public func features(of user: String, at: Timestamp? = nil) -> (values: [Double], cold: Bool) {
        let time = at ?? Timestamp(seconds: Date().timeIntervalSince1970)
        if let state = state(of: user) { return (state.values(asOf: time), false) }
        return (UserFeatureState(set: set).values(asOf: time), true)
    }

    public func score(_ user: String, model reference: String? = nil, at: Timestamp? = nil) throws -> Score {
        let model = try resolveModel(reference)
        let (values, cold) = features(of: user, at: at)
        return Score(probability: model.artifact.probability(values), version: model.version, cold: cold)
    }

    public func explain(_ user: String, top: Int = 5) throws -> [(feature: String, contribution: Double)] {
        let (values, _) = features(of: user)
        return model.artifact.explain(values, top: top)
    }

    /// Re-reads the alias; a model that fails its checks is refused and the current one keeps serving.
    @discardableResult
    public func reloadModel() -> Result<String, Error> {
        do {
            let version = try registry.resolve(modelReference)
            if version == model.version { return .success(version) }
            let next = try resolveModel(version)
            lock.withLock { served = next }
            return .success(version)
        } catch {
            return .failure(error)
        }
    }

    public var uptime: Double { Date().timeIntervalSince(started) }
}

/// Why the server cannot start or serve.
public enum ServerError: Error, CustomStringConvertible {
    case modelMismatch(String)
    case authRequired(String)
    case unreadableToken(String)

    public var description: String {
        switch self {
        case .modelMismatch(let message): message
        case .authRequired(let host): "binding to \(host) exposes the server beyond this machine: give --auth-token-file"
        case .unreadableToken(let path): "cannot read an auth token from \(path) (need one non-empty line)"
        }
    }
}
