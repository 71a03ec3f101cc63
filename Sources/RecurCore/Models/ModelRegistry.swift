import Foundation

/// The models folder: one immutable folder per version, checksummed, plus `aliases.json`.
public struct ModelRegistry: Sendable {
    public let directory: String

    /// `--models-dir`, else `$RECUR_MODELS_DIR`, else `./models`.
    public init(directory: String? = nil) {
        self.directory = directory ?? ProcessInfo.processInfo.environment["RECUR_MODELS_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "models"
    }

    func folder(_ version: String) -> String { (directory as NSString).appendingPathComponent(version) }

    /// Writes model.json, metadata.json and SHA256SUMS into a new version folder, atomically by rename.
    public func save(_ artifact: ModelArtifact, metadata: ModelMetadata) throws {
        let version = metadata.version
        guard version.range(of: #"^[A-Za-z0-9._-]+$"#, options: .regularExpression) != nil, !version.hasPrefix(".") else {
            throw ModelError.invalidVersionName(version)
        }
        let target = folder(version)
        guard !FileManager.default.fileExists(atPath: target) else { throw ModelError.exists(target) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let staging = folder(".tmp-\(version)-\(getpid())")
        try? FileManager.default.removeItem(atPath: staging)
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        let model = try encoder.encode(artifact), meta = try encoder.encode(metadata)
        try model.write(to: URL(fileURLWithPath: staging + "/model.json"))
        try meta.write(to: URL(fileURLWithPath: staging + "/metadata.json"))
        let sums = "\(SHA256Hex.of(model))  model.json\n\(SHA256Hex.of(meta))  metadata.json\n"
        try sums.write(toFile: staging + "/SHA256SUMS", atomically: true, encoding: .utf8)
        guard rename(staging, target) == 0 else {
            try? FileManager.default.removeItem(atPath: staging)
            throw ModelError.exists(target)
        }
    }

    /// An alias or a version, as the version it names.
    public func resolve(_ reference: String) throws -> String {
        if let version = try aliases()[reference] { return version }
        if FileManager.default.fileExists(atPath: folder(reference) + "/model.json") { return reference }
        throw ModelError.unknownReference(reference, known: (try? list().map(\.version)) ?? [])
    }

    /// Loads and verifies a model: checksums first, then the schema version, then the JSON.
    public func load(_ reference: String) throws -> (ModelArtifact, ModelMetadata) {
        let version = try resolve(reference)
        let base = folder(version)
        func read(_ name: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: base + "/" + name) else { throw ModelError.missing(base + "/" + name) }
            return data
        }
        let sums = String(decoding: try read("SHA256SUMS"), as: UTF8.self)
        let model = try read("model.json"), meta = try read("metadata.json")
        var expected = [String: String]()
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ", omittingEmptySubsequences: true)
            if parts.count == 2 { expected[String(parts[1])] = String(parts[0]) }
        }
        guard expected["model.json"] == SHA256Hex.of(model), expected["metadata.json"] == SHA256Hex.of(meta) else {
            throw ModelError.checksumMismatch(path: base)
        }
        struct Header: Decodable { var schema_version: Int? }
        guard let header = try? JSONDecoder().decode(Header.self, from: model) else {
            throw ModelError.corrupt(path: base + "/model.json", reason: "not a JSON object")
        }
        guard let schema = header.schema_version, ModelArtifact.readableSchemaVersions.contains(schema) else {
            throw ModelError.unsupportedSchema(path: base + "/model.json", version: header.schema_version ?? 0)
        }
        let decoder = Self.decoder
        do {
            let artifact = try decoder.decode(ModelArtifact.self, from: model)
            let metadata = try decoder.decode(ModelMetadata.self, from: meta)
            try validate(artifact, path: base + "/model.json")
            return (artifact, metadata)
        } catch let error as ModelError {
            throw error
        } catch {
            throw ModelError.corrupt(path: base, reason: "\(error)")
        }
    }

    /// The largest log-odds weight, leaf value or calibrator parameter an artifact may hold: training
    /// never comes near it, and every score of a model within it is a finite probability.
    static let largestWeight = 1e6
    static func plausible(_ value: Double) -> Bool { value.isFinite && abs(value) <= largestWeight }

    /// A buy-till-you-die model holds one process, with positive parameters, and a positive horizon.
    static func positiveParameters(_ b: BuyTillYouDieModel) -> Bool {
        let values: [Double]
        if let p = b.pareto {
            values = [p.r, p.alpha, p.s, p.beta]
        } else if let m = b.model {
            values = [m.r, m.alpha, m.a, m.b]
        } else {
            return false
        }
        return (values + [b.horizonDays]).allSatisfy { $0.isFinite && $0 > 0 }
    }

    /// A Gamma-Gamma model, alone or behind `--btyd-features`: its inputs named, its parameters positive.
    private func validate(_ spend: SpendModel?, names: [String], path: String) throws {
        guard let m = spend, m.inputIndices.count == SpendModel.inputs.count,
            zip(m.inputIndices, SpendModel.inputs).allSatisfy({ $0.0 >= 0 && $0.0 < names.count && names[$0.0] == $0.1 })
        else {
            throw ModelError.corrupt(path: path, reason: "the Gamma-Gamma model must name the features \(SpendModel.inputs.joined(separator: ", "))")
        }
        guard [m.model.p, m.model.q, m.model.v].allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ModelError.corrupt(path: path, reason: "Gamma-Gamma parameters must be positive numbers")
        }
    }

    private func validate(_ a: ModelArtifact, path: String) throws {
        if let b = a.btydFeatures {
            guard b.inputIndices.count == BuyTillYouDieModel.inputs.count, b.inputIndices.allSatisfy({ $0 >= 0 && $0 < a.featureNames.count }),
                zip(b.inputIndices, BuyTillYouDieModel.inputs).allSatisfy({ a.featureNames[$0.0] == $0.1 }),
                Self.positiveParameters(b)
            else {
                throw ModelError.corrupt(path: path, reason: "the BG/NBD features model is inconsistent with the feature names")
            }
            if b.spend != nil || b.derivedFeatures.contains(where: \.needsSpend) { try validate(b.spend, names: a.featureNames, path: path) }
        }
        let p = a.inputNames.count
        if let c = a.calibration {
            switch c.method {
            case .platt:
                guard let slope = c.slope, let intercept = c.intercept, Self.plausible(slope), Self.plausible(intercept) else {
                    throw ModelError.corrupt(path: path, reason: "the Platt calibrator needs a slope and intercept within ±\(Self.largestWeight)")
                }
            case .isotonic:
                guard let x = c.x, let y = c.y, !x.isEmpty, x.count == y.count, zip(x, x.dropFirst()).allSatisfy({ $0 <= $1 }),
                    y.allSatisfy({ $0 >= 0 && $0 <= 1 })
                else {
                    throw ModelError.corrupt(path: path, reason: "the isotonic calibrator needs equal-length knots, x sorted, y in [0, 1]")
                }
            }
        }
        switch a.kind {
        case .logistic:
            guard let m = a.logistic, m.coefficients.count == p, m.means.count == p, m.scales.count == p else {
                throw ModelError.corrupt(path: path, reason: "logistic coefficients do not match the \(p) features")
            }
            // On standardised inputs a fitted weight is a few units; past the bound, sums overflow to inf - inf.
            if let j = m.coefficients.indices.first(where: {
                !Self.plausible(m.coefficients[$0]) || !m.means[$0].isFinite || !(m.scales[$0] > 0 && m.scales[$0].isFinite)
            }) {
                throw ModelError.corrupt(
                    path: path,
                    reason: "logistic input \(j) (\(a.inputNames[j])) has coefficient \(m.coefficients[j]), mean \(m.means[j]), scale \(m.scales[j]): "
                        + "a coefficient must be within ±\(Self.largestWeight), a mean finite, a scale positive")
            }
            guard Self.plausible(m.intercept) else {
                throw ModelError.corrupt(path: path, reason: "logistic intercept \(m.intercept) is not within ±\(Self.largestWeight)")
            }
        case .bgnbd, .paretonbd:
            guard let m = a.bgnbd, m.inputIndices.count == BuyTillYouDieModel.inputs.count,
                m.inputIndices.allSatisfy({ $0 >= 0 && $0 < p }),
                zip(m.inputIndices, BuyTillYouDieModel.inputs).allSatisfy({ $0.0 < a.featureNames.count && a.featureNames[$0.0] == $0.1 })
            else {
                throw ModelError.corrupt(path: path, reason: "the BG/NBD model must name the features \(BuyTillYouDieModel.inputs.joined(separator: ", "))")
            }
            guard Self.positiveParameters(m), (a.kind == .paretonbd) == (m.pareto != nil) else {
                throw ModelError.corrupt(path: path, reason: "\(a.kind.rawValue) parameters and horizon must be positive numbers")
            }
        case .gammagamma:
            try validate(a.spend, names: a.featureNames, path: path)
        case .gbdt:
            guard let e = a.gbdt else { throw ModelError.corrupt(path: path, reason: "no trees") }
            guard Self.plausible(e.baseScore) else {
                throw ModelError.corrupt(path: path, reason: "base score \(e.baseScore) is not within ±\(Self.largestWeight)")
            }
            for tree in e.trees {
                if let bad = tree.value.first(where: { !Self.plausible($0) }) {
                    throw ModelError.corrupt(path: path, reason: "a leaf value \(bad) is not within ±\(Self.largestWeight)")
                }
                if tree.threshold.contains(where: \.isNaN) { throw ModelError.corrupt(path: path, reason: "a split threshold is NaN") }
                let n = tree.feature.count
                guard n > 0, [tree.threshold.count, tree.missingLeft.count, tree.left.count, tree.right.count, tree.value.count].allSatisfy({ $0 == n }) else {
                    throw ModelError.corrupt(path: path, reason: "a tree's arrays differ in length")
                }
                for node in 0..<n where tree.feature[node] >= 0 {
                    guard Int(tree.feature[node]) < p, tree.left[node] > Int32(node), tree.right[node] > Int32(node),
                        Int(tree.left[node]) < n, Int(tree.right[node]) < n
                    else {
                        throw ModelError.corrupt(path: path, reason: "a tree node points outside its tree")
                    }
                }
            }
        }
    }

    /// Versions with their metadata, oldest first.
    /// Reads what `save` writes: numbers that are not finite (a spend model's holdout metrics) are spelled out.
    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }

    public func list() throws -> [ModelMetadata] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return [] }
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder(name) + "/metadata.json") else { return nil }
            return try? Self.decoder.decode(ModelMetadata.self, from: data)
        }.sorted { $0.createdAt < $1.createdAt }
    }

    public func aliases() throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: directory + "/aliases.json") else { return [:] }
        guard let aliases = try? JSONDecoder().decode([String: String].self, from: data) else {
            throw ModelError.corrupt(path: directory + "/aliases.json", reason: "expected {\"alias\": \"version\"}")
        }
        return aliases
    }

    /// Points `alias` at `version` after verifying the version loads; written atomically (temp file + rename).
    public func promote(_ version: String, alias: String) throws {
        _ = try load(version)
        guard alias.range(of: #"^[A-Za-z][A-Za-z0-9_-]*$"#, options: .regularExpression) != nil else { throw ModelError.invalidVersionName(alias) }
        var all = try aliases()
        all[alias] = version
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = directory + "/.aliases.json.\(getpid())"
        try encoder.encode(all).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, directory + "/aliases.json") == 0 else {
            throw ModelError.corrupt(path: directory + "/aliases.json", reason: String(cString: strerror(errno)))
        }
    }
}
