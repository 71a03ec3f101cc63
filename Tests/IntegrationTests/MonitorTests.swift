import Foundation
import Logging
import Testing

@testable import RecurCore
@testable import RecurServer

/// Served answers checked against offline (`--log-sample`, `monitor consistency`) and drift.
@Suite(.serialized) struct MonitorTests {
    static func run(_ arguments: [String], _ store: Store, models: String? = nil) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RecurBinary.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment.merging(StreamCheck.environment(store)) { $1 }
        if let models { environment["RECUR_MODELS_DIR"] = models }
        process.environment = environment
        process.currentDirectoryURL = FileManager.default.temporaryDirectory
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func everyLoggedAnswerEqualsOfflineUntilSomethingDiffers() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let service = f.server.service
        let log = ServedLog(rate: 1, location: f.store.location, logger: Logger(label: "test"))
        service.servedLog = log
        // Answers as of now and as of past times, for users with events and one without.
        var answered = [Double]()
        for user in f.users.prefix(40) + ["nobody-at-all"] {
            answered.append(try service.score(user).probability)
            // A past time the state cannot answer exactly is refused (PAST_AT), and nothing is logged for it.
            if let past = try? service.score(user, at: Timestamp(year: 2025, month: 7, day: 15, hour: 13)!) { answered.append(past.probability) }
        }
        try log.flush(on: f.store.connection)
        #expect(log.written == answered.count && log.dropped == 0 && answered.count > 60)
        let logged = try ServedAnswers.read(since: nil, on: f.store.connection)
        #expect(logged.map(\.score) == answered, "the log holds the scores answered, bit for bit")
        let check = ConsistencyCheck(catalog: .builtin, registry: f.registry)
        let clean = try check.run(logged, on: f.store.connection)
        #expect(clean.checked == answered.count && clean.mismatched == 0, "\(clean.examples.prefix(3))")
        #expect(clean.scoresChecked == answered.count && clean.scoresMismatched == 0)
        // The model scores the logged vector as the server did.
        let (artifact, _) = try f.registry.load("v1")
        for answer in logged { #expect(answer.features.withUnsafeBufferPointer { artifact.probability($0) } == answer.score) }

        // An event stored after the answers, dated before them: explained as late, not skew.
        let user = f.users[2]
        let early = Event(eventID: "late-purchase", userID: user, timestamp: Timestamp(year: 2025, month: 5, day: 10)!, type: .purchase, amount: 30)
        _ = try EventLoader(connection: f.store.connection, source: "test").load([early], rejected: [])
        let late = try check.run(logged, on: f.store.connection)
        #expect(late.mismatched >= 2 && late.late == late.mismatched && late.skew == 0, "\(late.examples.prefix(3))")

        // A feature the serving side computes differently (planted): caught as skew, on that feature only.
        try f.store.connection.execute("UPDATE served_log SET features[7] = features[7] + 1 WHERE id % 3 = 0")
        let skewed = try check.run(try ServedAnswers.read(since: nil, on: f.store.connection), on: f.store.connection)
        let planted = try FeatureCatalog.builtin.resolve("default@1").featureNames[6]
        #expect(skewed.skew > 0)
        #expect(skewed.features.filter { $0.skew > 0 }.map(\.name) == [planted], "\(skewed.features.filter { $0.mismatched > 0 })")

        // The command says the same, in JSON, and exits 1 on skew.
        let (status, json) = try Self.run(["monitor", "consistency", "--format", "json"], f.store, models: f.registry.directory)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
        #expect(status == 1 && object["checked"] as? Int == answered.count && object["mismatched"] as? Int == skewed.mismatched)

        // Drift against the logged vectors: the planted feature, moved in a third of them, comes first.
        try f.store.connection.execute("UPDATE served_log SET features[7] = features[7] + 1000")
        let (artifactV1, metadata) = try f.registry.load("v1")
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let drift = try DriftCheck(artifact: artifactV1, metadata: metadata, set: set).run(current: .logged(since: nil), store: f.store)
        #expect(drift.features.first?.name == planted && drift.features.first?.drifted == true)
        #expect(drift.referenceRows == f.data.rows && drift.currentRows == answered.count)
        let online = try DriftCheck(artifact: artifactV1, metadata: metadata, set: set).run(current: .online(limit: 100), store: f.store)
        #expect(online.currentRows == 100 && online.currentSource.contains("a sample of 100"))
        let (driftStatus, driftJSON) = try Self.run(
            ["monitor", "drift", "--model", "v1", "--current", "logged", "--format", "json", "--export-dir", FileManager.default.temporaryDirectory.path],
            f.store, models: f.registry.directory)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(driftJSON.utf8)) as? [String: Any], "\(driftJSON)")
        #expect(driftStatus == 0 && ((report["features"] as? [[String: Any]])?.first?["name"] as? String) == planted)
        #expect((report["features"] as? [[String: Any]])?.first?["psi"] is Double)
        #expect(try DriftCheck.saved(on: f.store.connection).contains { $0.feature == planted && $0.drifted })
    }

    @Test func aFullQueueDropsAndCountsInsteadOfWaiting() throws {
        let log = ServedLog(rate: 1, location: StoreLocation(), logger: Logger(label: "test"))
        let answer = ServedAnswer(
            loggedAt: .now, user: "u", asOf: .now, atGiven: false, model: "v", setName: "default", setVersion: 1, features: [1], score: 0.5, cold: false)
        for _ in 0..<(ServedLog.capacity + 10) { log.offer(answer) }
        #expect(log.pending == ServedLog.capacity && log.dropped == 10)
        let sampled = ServedLog(rate: 0.01, location: StoreLocation(), logger: Logger(label: "test"))
        #expect((0..<1_000).filter { _ in sampled.shouldSample() }.count == 10)
    }
}
