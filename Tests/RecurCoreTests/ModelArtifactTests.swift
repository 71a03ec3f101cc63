import Foundation
import Testing

@testable import RecurCore

@Suite struct ModelArtifactTests {
    func registry() -> ModelRegistry {
        ModelRegistry(directory: FileManager.default.temporaryDirectory.appendingPathComponent("models-\(UInt32.random(in: 0...UInt32.max))").path)
    }

    func sample(_ version: String) -> (ModelArtifact, ModelMetadata) {
        let model = LogisticModel(featureNames: ["a", "b"], means: [1, 2], scales: [0.5, 3], intercept: -0.25, coefficients: [0.1, -1.0 / 3])
        let artifact = ModelArtifact(kind: .logistic, featureSetName: "default", featureSetVersion: 1, featureNames: ["a", "b"], logistic: model)
        let metrics = Metrics(predictions: [0.2, 0.7], labels: [0, 1])
        let metadata = ModelMetadata(
            version: version, kind: .logistic, featureSet: "default@1", cutoffs: ["2025-01-01T00:00:00Z"],
            holdoutCutoff: "2025-01-01T00:00:00Z", horizon: "30d", population: "active", trainingRows: 2, holdoutRows: 2,
            trainingPositiveRate: 0.5, parameters: ["l2": "1.0"], holdout: metrics, trainingSeconds: 0.1, notes: [],
            codeVersion: "test", createdAt: "2026-01-01T00:00:00Z")
        return (artifact, metadata)
    }

    func failure(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func artifactsRoundTripExactly() throws {
        let r = registry()
        let (artifact, metadata) = sample("v1")
        try r.save(artifact, metadata: metadata)
        let (loaded, loadedMetadata) = try r.load("v1")
        #expect(loaded == artifact)
        #expect(loadedMetadata == metadata)
        #expect(throws: ModelError.self) { try r.save(artifact, metadata: metadata) }
        try r.promote("v1", alias: "production")
        #expect(try r.resolve("production") == "v1")
        #expect(try r.load("production").0 == artifact)
    }

    @Test func corruptOrForeignArtifactsAreRefused() throws {
        let r = registry()
        let (artifact, metadata) = sample("v2")
        try r.save(artifact, metadata: metadata)
        let path = r.directory + "/v2/model.json"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[bytes.count / 2] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: path))
        #expect(failure { _ = try r.load("v2") }.contains("checksum"))

        // A future schema version with a valid checksum: refused by version, naming the file.
        let (a3, m3) = sample("v3")
        try r.save(a3, metadata: m3)
        let p3 = r.directory + "/v3/model.json"
        let text = try String(contentsOfFile: p3, encoding: .utf8).replacingOccurrences(
            of: "\"schema_version\" : \(ModelArtifact.currentSchemaVersion)", with: "\"schema_version\" : 99")
        try text.write(toFile: p3, atomically: true, encoding: .utf8)
        let meta = try Data(contentsOf: URL(fileURLWithPath: r.directory + "/v3/metadata.json"))
        try "\(SHA256Hex.of(Data(text.utf8)))  model.json\n\(SHA256Hex.of(meta))  metadata.json\n".write(
            toFile: r.directory + "/v3/SHA256SUMS", atomically: true, encoding: .utf8)
        #expect(failure { _ = try r.load("v3") }.contains("schema version 99"))

        try FileManager.default.removeItem(atPath: r.directory + "/v3/SHA256SUMS")
        #expect(failure { _ = try r.load("v3") }.contains("SHA256SUMS is missing"))
        #expect(throws: ModelError.self) { try r.promote("v2", alias: "production") }
        #expect(throws: ModelError.self) { try r.load("nope") }
    }

    /// A checksum proves the files are as written, not that they score: weights that overflow are refused.
    @Test func artifactsThatCannotScoreFinitelyAreRefused() throws {
        let r = registry()
        var (artifact, metadata) = sample("huge")
        artifact.logistic?.coefficients = [1e308, -1e308]
        try r.save(artifact, metadata: metadata)
        #expect(failure { _ = try r.load("huge") }.contains("coefficient 1e+308"))
        // Before the check it loaded and scored NaN: inf - inf.
        #expect(artifact.probability([10, 10]).isNaN)

        (artifact, metadata) = sample("scale")
        artifact.logistic?.scales = [0, 1]
        try r.save(artifact, metadata: metadata)
        #expect(failure { _ = try r.load("scale") }.contains("a scale positive"))

        (artifact, metadata) = sample("trees")
        artifact.kind = .gbdt
        metadata.kind = .gbdt
        artifact.gbdt = TreeEnsemble(
            featureNames: ["a", "b"], baseScore: 0,
            trees: [
                TreeEnsemble.Tree(
                    feature: [0, -1, -1], threshold: [1, 0, 0], missingLeft: [true, false, false], left: [1, -1, -1], right: [2, -1, -1],
                    value: [0, 1e300, -1e300])
            ], gainImportance: [1, 0])
        try r.save(artifact, metadata: metadata)
        #expect(failure { _ = try r.load("trees") }.contains("leaf value 1e+300"))
    }
}
