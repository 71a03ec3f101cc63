import Crypto
import Foundation

/// A trained model as stored in `models/V/model.json` (schema documented in models/README.md).
public struct ModelArtifact: Sendable, Codable, Equatable {
    /// The artifact format this build writes: 2 added the optional calibrator.
    public static let currentSchemaVersion = 2
    /// The formats this build reads.
    public static let readableSchemaVersions = 1...2

    /// Which kind of model the artifact holds.
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case logistic, gbdt, bgnbd, paretonbd, gammagamma

        /// A buy-till-you-die model (BG/NBD or Pareto/NBD): PREDICT's purchase process.
        public var isBuyTillYouDie: Bool { self == .bgnbd || self == .paretonbd }

        /// Whether it scores a purchase probability (a Gamma-Gamma model answers spend, for PREDICT).
        public var scoresPurchases: Bool { self != .gammagamma }
    }

    public var schemaVersion: Int
    public var kind: Kind
    public var featureSetName: String
    public var featureSetVersion: Int
    public var featureNames: [String]
    public var logistic: LogisticModel?
    public var gbdt: TreeEnsemble?
    public var bgnbd: BuyTillYouDieModel?
    /// Expected spend per purchase (a `gammagamma` model).
    public var spend: SpendModel?
    /// With `--btyd-features`: the BG/NBD whose P(alive) and expected purchases follow the set's
    /// features as two more model inputs, computed the same way in training and serving.
    public var btydFeatures: BuyTillYouDieModel?
    /// Applied to the model's probability wherever it scores (nil: uncalibrated).
    public var calibration: Calibrator?

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, featureSetName = "feature_set", featureSetVersion = "feature_set_version"
        case featureNames = "feature_names", logistic, gbdt, bgnbd, calibration, btydFeatures = "btyd_features", spend
    }

    public init(
        kind: Kind, featureSetName: String, featureSetVersion: Int, featureNames: [String], logistic: LogisticModel? = nil, gbdt: TreeEnsemble? = nil,
        bgnbd: BuyTillYouDieModel? = nil
    ) {
        self.bgnbd = bgnbd
        schemaVersion = Self.currentSchemaVersion
        self.kind = kind
        self.featureSetName = featureSetName
        self.featureSetVersion = featureSetVersion
        self.featureNames = featureNames
        self.logistic = logistic
        self.gbdt = gbdt
    }

    /// Probability of a purchase within the horizon, for features in `featureNames` order (NaN = missing).
    public func probability(_ features: UnsafeBufferPointer<Double>) -> Double {
        let raw = uncalibratedProbability(features)
        return Calibrator.strictlyInside(calibration?.apply(raw) ?? raw)
    }

    /// The inputs the model was fitted on: the set's features, then any derived BG/NBD features.
    public var inputNames: [String] { featureNames + (btydFeatures?.derivedFeatureNames ?? []) }

    /// The model's own probability, before any calibrator.
    public func uncalibratedProbability(_ features: UnsafeBufferPointer<Double>) -> Double {
        if let btydFeatures {
            let inputs = Array(features) + btydFeatures.derivedFeatures(features)
            return inputs.withUnsafeBufferPointer { modelProbability($0) }
        }
        return modelProbability(features)
    }

    private func modelProbability(_ features: UnsafeBufferPointer<Double>) -> Double {
        switch kind {
        case .logistic: logistic?.probability(features) ?? .nan
        case .gbdt: gbdt?.probability(features) ?? .nan
        case .bgnbd, .paretonbd: bgnbd?.probability(features) ?? .nan
        case .gammagamma: .nan
        }
    }

    public func probability(_ features: [Double]) -> Double { features.withUnsafeBufferPointer { probability($0) } }

    /// The features that moved this score most, largest first (log-odds contributions).
    public func explain(_ features: [Double], top: Int) -> [(feature: String, contribution: Double)] {
        if kind.isBuyTillYouDie, let bgnbd { return features.withUnsafeBufferPointer { bgnbd.explain($0) } }
        let inputs = btydFeatures.map { b in features + features.withUnsafeBufferPointer { b.derivedFeatures($0) } } ?? features
        let contributions = kind == .logistic ? (logistic?.contributions(inputs) ?? []) : (gbdt?.contributions(inputs) ?? [])
        return zip(inputNames, contributions).sorted { abs($0.1) > abs($1.1) }.prefix(top).map { ($0.0, $0.1) }
    }
}

/// What was trained, on what, and how well it did on the forward-in-time holdout: `models/V/metadata.json`.
public struct ModelMetadata: Sendable, Codable, Equatable {
    public var version: String
    public var kind: ModelArtifact.Kind
    public var featureSet: String
    public var cutoffs: [String]
    public var holdoutCutoff: String
    public var horizon: String
    public var population: String
    public var trainingRows: Int
    public var holdoutRows: Int
    public var trainingPositiveRate: Double
    public var parameters: [String: String]
    public var holdout: Metrics
    public var trainingSeconds: Double
    public var notes: [String]
    public var codeVersion: String
    public var createdAt: String
    /// How the calibrator was fitted and what the holdout looked like before it (nil: uncalibrated).
    public var calibration: CalibrationReport? = nil

    enum CodingKeys: String, CodingKey {
        case calibration
        case version, kind, featureSet = "feature_set", cutoffs, holdoutCutoff = "holdout_cutoff", horizon, population
        case trainingRows = "training_rows", holdoutRows = "holdout_rows", trainingPositiveRate = "training_positive_rate"
        case parameters, holdout, trainingSeconds = "training_seconds", notes, codeVersion = "code_version", createdAt = "created_at"
    }
}

/// The calibration step of a training run: `holdout` in the metadata is after it, this is before.
public struct CalibrationReport: Sendable, Codable, Equatable {
    public var method: Calibrator.Method
    public var cutoff: String
    public var rows: Int
    public var holdoutUncalibrated: Metrics
    /// When the method was chosen (`--calibrate auto`): every candidate's validation log loss.
    public var choice: CalibrationChoice? = nil

    enum CodingKeys: String, CodingKey { case method, cutoff, rows, holdoutUncalibrated = "holdout_uncalibrated", choice }
}

/// A model that could not be saved or loaded, with the file at fault.
public enum ModelError: Error, CustomStringConvertible {
    case exists(String)
    case missing(String)
    case corrupt(path: String, reason: String)
    case checksumMismatch(path: String)
    case unsupportedSchema(path: String, version: Int)
    case unknownReference(String, known: [String])
    case invalidVersionName(String)

    public var description: String {
        switch self {
        case .exists(let path): "model \(path) already exists; versions are immutable, choose another --version"
        case .missing(let path): "model file \(path) is missing"
        case .corrupt(let path, let reason): "model file \(path) is corrupt: \(reason)"
        case .checksumMismatch(let path): "model \(path) fails its SHA-256 checksum: the files were changed or damaged; refusing it"
        case .unsupportedSchema(let path, let version):
            "model \(path) has schema version \(version); this recur reads versions \(ModelArtifact.readableSchemaVersions.lowerBound) to \(ModelArtifact.readableSchemaVersions.upperBound)"
        case .unknownReference(let name, let known):
            known.isEmpty
                ? "no model or alias `\(name)`: no model is trained yet; train one (recur train --version v1 --from D --to D --every 7d --horizon 30d) and promote it (recur models promote v1)"
                : name == "production"
                    ? "no model is promoted to `production` yet; known: \(known.joined(separator: ", ")). Promote one (recur models promote \(known.last!)) or name a version (--model \(known.last!))"
                    : "no model or alias `\(name)`; known: \(known.joined(separator: ", "))"
        case .invalidVersionName(let name): "version `\(name)` must be letters, digits, '.', '_' or '-'"
        }
    }
}

enum SHA256Hex {
    static func of(_ data: Data) -> String { hex(SHA256.hash(data: data)) }

    /// A file's SHA-256, read in chunks: a rows file of any size costs no more memory than a chunk.
    static func of(file path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError.cannotOpen(path: path, reason: "cannot be read") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(hasher.finalize())
    }

    private static func hex(_ digest: SHA256.Digest) -> String { digest.map { String(format: "%02x", $0) }.joined() }
}
