import Foundation
import Logging
import Postgres
import Testing

@testable import RecurCore
@testable import RecurServer

/// A blocking socket client for tests: sends raw bytes, reads raw replies.
final class TestClient {
    let descriptor: Int32
    var buffer = [UInt8]()

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else { throw CocoaError(.fileReadUnknown) }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress!, $0.count, Int32(MSG_NOSIGNAL)) } }
    func send(_ text: String) { send(Array(text.utf8)) }

    /// One line without its terminator; nil when the connection closed.
    func line() -> String? {
        while true {
            if let newline = buffer.firstIndex(of: 10) {
                var line = Array(buffer[..<newline])
                buffer.removeSubrange(...newline)
                if line.last == 13 { line.removeLast() }
                return String(decoding: line, as: UTF8.self)
            }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
    }

    func ask(_ text: String) -> String? { send(text + "\n"); return line() }

    /// Sends `pattern` over and over without reading, until `limit` bytes are sent or `stall` seconds
    /// pass without the peer taking a byte (it stopped reading); the bytes sent, and whether the
    /// connection failed instead.
    func sendUntilStopped(_ pattern: [UInt8], limit: Int, stall: Int) -> (sent: Int, failed: Bool) {
        var timeout = timeval(tv_sec: stall, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        defer {
            var none = timeval(tv_sec: 0, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &none, socklen_t(MemoryLayout<timeval>.size))
        }
        var sent = 0
        var offset = 0
        while sent < limit {
            // From where the last send stopped, so that the stream stays whole requests.
            let n = pattern.withUnsafeBytes { Foundation.send(descriptor, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n > 0 {
                sent += n
                offset = (offset + n) % pattern.count
            } else {
                return (sent, !(errno == EAGAIN || errno == EWOULDBLOCK))
            }
        }
        return (sent, false)
    }
}

@Suite(.serialized) struct ServerTests {
    struct Fixture {
        var store: Store
        var registry: ModelRegistry
        var server: ScoringServer
        var sync: FeatureSync
        var watcher: ModelWatcher
        var port: Int
        var users: [String]
        var data: TrainingSet
        var request: ModelTrainer.Request
        var events: [Event]
    }

    static func fixture(
        authToken: String? = nil, limits: FrameLimits = FrameLimits(), liveFeed: Bool = false,
        configure: (inout ScoringServer.Configuration) -> Void = { _ in }
    ) throws -> Fixture {
        let store = try TestStore.fresh("server")
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let events = try TestStore.loadGeneratedEvents(into: store, users: 300, seed: 21, days: 200)
        let cutoffs = [Timestamp(year: 2025, month: 4, day: 1)!, Timestamp(year: 2025, month: 5, day: 1)!, Timestamp(year: 2025, month: 6, day: 1)!]
        _ = try Backfill(plan: BackfillPlan(set: set, asOfTimes: cutoffs)).run(store: store)
        let data = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .active, store: store)
        let request = ModelTrainer.Request(version: "v1", kind: .logistic, set: set, cutoffs: cutoffs, horizon: .days(30))
        let (artifact, metadata) = try ModelTrainer(request: request).train(data, codeVersion: "test")
        let registry = ModelRegistry(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("server-models-\(UInt32.random(in: 0...UInt32.max))").path)
        try registry.save(artifact, metadata: metadata)
        try registry.promote("v1", alias: "production")
        let service = try ScoringService(registry: registry, modelReference: "production", catalog: .builtin)
        let logger = Logger(label: "test")
        let sync = FeatureSync(service: service, location: store.location, interval: 0.5, logger: logger)
        _ = try sync.loadAll()
        sync.start()
        let watcher = ModelWatcher(service: service, logger: logger)
        watcher.start(every: 0.1)
        var configuration = ScoringServer.Configuration()
        configuration.port = 0
        configuration.threads = 2
        configuration.authToken = authToken
        configuration.limits = limits
        configuration.metricsPort = 0
        configuration.httpPort = 0
        configure(&configuration)
        let feed = liveFeed ? LiveFeed(service: service, location: store.location, logger: logger) : nil
        let server = ScoringServer(configuration: configuration, service: service, feed: feed)
        let port = try server.start()
        let users = Array(Set(events.map(\.userID))).sorted()
        return Fixture(
            store: store, registry: registry, server: server, sync: sync, watcher: watcher, port: port, users: users, data: data, request: request,
            events: events)
    }

    static func stop(_ f: Fixture) {
        f.sync.stop(); f.watcher.stop(); f.server.shutdown()
        TestStore.drop(f.store)
    }

    @Test func everyCommandInPlainAndRESP() throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        #expect(c.ask("PING") == "PONG")
        let score = try #require(c.ask("SCORE \(f.users[0])"))
        let parts = score.split(separator: " ")
        #expect(parts.count == 2 && Double(parts[0]).map { $0 >= 0 && $0 <= 1 } == true && parts[1] == "v1")
        #expect(c.ask("SCORE nobody-at-all")?.hasSuffix(" v1 cold") == true)
        #expect(c.ask("SCORE \(f.users[0]) MODEL v1 AT 2025-05-01T00:00:00Z")?.hasSuffix(" v1") == true)
        #expect(c.ask("SCORE \(f.users[0]) AT yesterday-ish")?.hasPrefix("ERR BAD_TIME") == true)
        #expect(c.ask("SCORE \(f.users[0]) MODEL v9")?.hasPrefix("ERR FAILED no model or alias") == true)
        #expect(c.ask("MSCORE \(f.users[0]) \(f.users[1]) nobody")?.split(separator: " ").count == 7)
        let features = try #require(c.ask("FEATURES \(f.users[0])"))
        let object = try JSONSerialization.jsonObject(with: Data(features.utf8)) as? [String: Any]
        #expect(object?["purchase_count_all"] != nil)
        #expect(c.ask("EXPLAIN \(f.users[0])")?.contains("=") == true)
        #expect(c.ask("MODELS")?.contains("serving=v1") == true)
        #expect(c.ask("STATS")?.contains("\"users\":") == true)
        #expect(c.ask("AUTH secret")?.hasPrefix("ERR AUTH") == true)
        #expect(c.ask("FLY me")?.hasPrefix("ERR UNKNOWN_COMMAND") == true)
        #expect(c.ask("SCORE")?.hasPrefix("ERR SYNTAX") == true)
        // RESP: what redis-cli and client libraries send.
        c.send("*2\r\n$5\r\nSCORE\r\n$\(f.users[1].utf8.count)\r\n\(f.users[1])\r\n")
        let header = try #require(c.line())
        #expect(header.hasPrefix("$"))
        #expect(c.line()?.hasSuffix(" v1") == true)
        c.send("*1\r\n$4\r\nPING\r\n")
        #expect(c.line() == "+PONG")
        c.send("*1\r\n$4\r\nNOPE\r\n")
        #expect(c.line()?.hasPrefix("-ERR UNKNOWN_COMMAND") == true)
        #expect(c.ask("QUIT") == "OK")
        #expect(c.line() == nil)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        let users = Array(f.users.prefix(200))
        c.send(users.map { "SCORE \($0)\n" }.joined() + "PING\n")
        let expected = try users.map { try f.server.service.score($0).version }
        for (index, _) in users.enumerated() { #expect(c.line()?.hasSuffix(expected[index]) == true) }
        #expect(c.line() == "PONG")
    }

    @Test func garbageOversizedAndBinaryInputNeverKillTheServer() throws {
        var limits = FrameLimits()
        limits.maximumLineLength = 1_024
        limits.maximumBulkLength = 1_024
        let f = try Self.fixture(limits: limits)
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        c.send([0xFF, 0xFE, 0x00, 0x01, 10])
        #expect(c.line()?.hasPrefix("ERR") == true, "binary garbage gets an error and the connection lives")
        #expect(c.ask("PING") == "PONG")
        c.send(String(repeating: "A", count: 5_000) + "\n")
        #expect(c.line()?.hasPrefix("ERR LINE_TOO_LONG") == true)
        #expect(c.line() == nil, "an unframeable stream is closed")
        let r = try TestClient(port: f.port)
        r.send("*3\r\n$5\r\nSCORE\r\n$99999999\r\n")
        #expect(r.line()?.hasPrefix("-ERR PROTOCOL") == true)
        #expect(r.line() == nil)
        // Every bulk string within the limit, but the array as a whole beyond what a connection may buffer.
        let big = try TestClient(port: f.port)
        big.send("*4000\r\n" + String(repeating: "$1000\r\n" + String(repeating: "x", count: 1_000) + "\r\n", count: 5))
        #expect(big.line()?.hasPrefix("-ERR TOO_LARGE") == true)
        #expect(big.line() == nil)
        let after = try TestClient(port: f.port)
        #expect(after.ask("PING") == "PONG")
    }

    @Test func aClientThatDoesNotReadItsAnswersStopsBeingRead() throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        let greedy = try TestClient(port: f.port)
        // Cheap requests, so that even a debug build reads them faster than a stall: a server that
        // kept reading would take all of them and hold every answer.
        let word = String(repeating: "x", count: 1_000)
        let limit = 32 << 20
        // Stopped, not slow: sending goes on until three seconds pass without a byte taken; a server
        // that still reads, however slowly, takes more than the limit in the end.
        let chunk = Array(String(repeating: "ECHO \(word)\n", count: 64).utf8)
        let (sent, failed) = greedy.sendUntilStopped(chunk, limit: limit, stall: 3)
        #expect(!failed && sent < limit, "the server stops reading a client that does not read (it took \(sent) bytes, failed: \(failed))")
        #expect(try TestClient(port: f.port).ask("PING") == "PONG", "other clients are served meanwhile")
        #expect(greedy.line() == word, "the greedy client's answers are all still there, in order")
    }

    @Test func requestsSplitAcrossReadsAreReassembled() throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        let user = f.users[0]
        let whole = try f.server.service.score(user)
        for piece in ["SCO", "RE \(user)", "\r", "\nPI", "NG\n"] {
            c.send(piece)
            usleep(20_000)
        }
        #expect(c.line()?.hasSuffix(whole.version) == true)
        #expect(c.line() == "PONG")
        let resp = "*2\r\n$5\r\nSCORE\r\n$\(user.utf8.count)\r\n\(user)\r\n"
        for cut in [1, 5, 12, resp.utf8.count - 1] {
            let bytes = Array(resp.utf8)
            c.send(Array(bytes[..<cut]))
            usleep(20_000)
            c.send(Array(bytes[cut...]))
            #expect(c.line()?.hasPrefix("$") == true, "bulk header, cut at \(cut)")
            #expect(c.line()?.hasSuffix(whole.version) == true, "cut at \(cut)")
        }
    }

    @Test func manyConcurrentClientsAndAHotSwapFailNothing() async throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        // A second model to promote while 16 clients score.
        var request = f.request
        request.version = "v2"
        request.kind = .gbdt
        request.gbdt.trees = 20
        let (artifact, metadata) = try ModelTrainer(request: request).train(f.data, codeVersion: "test")
        try f.registry.save(artifact, metadata: metadata)
        let users = f.users, port = f.port
        let registry = f.registry
        let failures = try await withThrowingTaskGroup(of: (Int, Set<String>).self) { group in
            for worker in 0..<16 {
                group.addTask {
                    let c = try TestClient(port: port)
                    var failed = 0
                    var versions = Set<String>()
                    for i in 0..<300 {
                        guard let reply = c.ask("SCORE \(users[(worker * 31 + i) % users.count])"), !reply.hasPrefix("ERR") else { failed += 1; continue }
                        versions.insert(String(reply.split(separator: " ")[1]))
                        if worker == 0 && i == 100 { try registry.promote("v2", alias: "production") }
                    }
                    return (failed, versions)
                }
            }
            var failed = 0
            var seen = Set<String>()
            for try await (count, versions) in group { failed += count; seen.formUnion(versions) }
            return (failed, seen)
        }
        #expect(failures.0 == 0)
        #expect(failures.1.contains("v1"))
        // The watcher polls every 0.1 s here: wait for it, then every reply must come from v2.
        var served = ""
        for _ in 0..<50 where served != "v2" { served = f.server.service.model.version; try await Task.sleep(nanoseconds: 100_000_000) }
        #expect(served == "v2")

        // A corrupt new artifact is refused; the previous model keeps serving.
        let (a3, m3) = (
            artifact,
            ModelMetadata(
                version: "v3", kind: metadata.kind, featureSet: metadata.featureSet, cutoffs: metadata.cutoffs,
                holdoutCutoff: metadata.holdoutCutoff, horizon: metadata.horizon, population: metadata.population,
                trainingRows: 1, holdoutRows: 1, trainingPositiveRate: 0.5, parameters: [:], holdout: metadata.holdout,
                trainingSeconds: 0, notes: [], codeVersion: "test", createdAt: metadata.createdAt)
        )
        try f.registry.save(a3, metadata: m3)
        // Damaged before the alias points at it: the watcher, polling every 0.1 s, must never see it whole.
        try "garbage".write(toFile: f.registry.directory + "/v3/model.json", atomically: true, encoding: .utf8)
        try "{\"production\": \"v3\"}".write(toFile: f.registry.directory + "/aliases.json", atomically: true, encoding: .utf8)
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(f.server.service.model.version == "v2")
        #expect(try TestClient(port: f.port).ask("SCORE \(users[0])")?.hasSuffix(" v2") == true)
    }

    @Test func aFeatureUpdateIsVisibleWithinASecond() throws {
        let f = try Self.fixture()
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        let user = "brand-new-user"
        #expect(c.ask("SCORE \(user)")?.hasSuffix("cold") == true)
        var state = UserFeatureState(set: f.server.service.set)
        state.apply(Event(eventID: "x", userID: user, timestamp: Timestamp(seconds: Date().timeIntervalSince1970 - 3600), type: .purchase, amount: 50))
        let hex = state.encoded().map { String(format: "%02x", $0) }.joined()
        try f.store.connection.execute(
            """
            INSERT INTO user_features (set_name, set_version, user_id, state, updated_at) VALUES ('default', 1, $1, decode($2, 'hex'), clock_timestamp())
            """, [user, hex])
        try f.store.connection.notify(FeatureChangeLog.channel, payload: "default@1")
        let deadline = Date().addingTimeInterval(1)
        var reply = ""
        while Date() < deadline {
            reply = c.ask("SCORE \(user)") ?? ""
            if !reply.hasSuffix("cold") { break }
            usleep(20_000)
        }
        #expect(!reply.hasSuffix("cold"), "the update reached the server within 1 s")
        let features = c.ask("FEATURES \(user)") ?? ""
        #expect(features.contains("\"purchase_count_all\":1.0"))
    }

    @Test func authIsRequiredWhenConfiguredAndMetricsAreServed() throws {
        let f = try Self.fixture(authToken: "s3cret")
        defer { Self.stop(f) }
        let c = try TestClient(port: f.port)
        #expect(c.ask("PING") == "PONG")
        #expect(c.ask("SCORE \(f.users[0])")?.hasPrefix("ERR NOAUTH") == true)
        #expect(c.ask("AUTH wrong")?.hasPrefix("ERR WRONGPASS") == true)
        #expect(c.ask("AUTH s3cret") == "OK")
        #expect(c.ask("SCORE \(f.users[0])")?.hasSuffix(" v1") == true)
        let m = try TestClient(port: try #require(f.server.metricsPort))
        m.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        var text = ""
        while let line = m.line() { text += line + "\n" }
        #expect(text.contains("recur_requests_total{protocol=\"plain\",command=\"score\",status=\"ok\"} 1"), "\(text)")
        #expect(text.contains("recur_requests_total{protocol=\"plain\",command=\"noauth\",status=\"error\"} 1"), "refused before the token")
        #expect(text.contains("recur_model_info{version=\"v1\"}"))
        #expect(text.contains("recur_users_loaded"))
    }
}
