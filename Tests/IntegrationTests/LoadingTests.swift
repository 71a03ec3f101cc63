import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

/// `recur serve` listens before its features are loaded and answers LOADING until they are, never
/// a cold or partial score. The store is made slow for real: a transaction holds `user_features`
/// locked, so the server's first load waits until the test lets it go.
@Suite(.serialized) struct LoadingTests {
    /// A port nothing listens on right now.
    static func freePort() -> Int {
        let s = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(s) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(s, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func connect(_ port: Int, within seconds: Double) -> TestClient? {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let client = try? TestClient(port: port) { return client }
            Thread.sleep(forTimeInterval: 0.1)
        }
        return nil
    }

    @Test func scoringWaitsWithLoadingUntilTheFeaturesAreIn() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let user = f.users[0], at = "2025-06-01T00:00:00Z"
        let expected = try f.server.service.score(user, at: DateText.parse(at))

        // Held until released below: the server's count and COPY of user_features wait on it.
        let holder = try Store.open(f.store.location, migrate: false)
        try holder.connection.execute("BEGIN")
        try holder.connection.execute("LOCK TABLE user_features IN ACCESS EXCLUSIVE MODE")

        let port = Self.freePort(), httpPort = Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RecurBinary.path)
        process.arguments = ["serve", "--port", String(port), "--http-port", String(httpPort), "--model", "production"]
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        environment["RECUR_HOME"] = TestStore.home
        environment["RECUR_SCHEMA"] = f.store.location.schema
        environment["RECUR_MODELS_DIR"] = f.registry.directory
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("loading-serve-\(UInt32.random(in: 0...UInt32.max)).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: log)
        defer { try? FileManager.default.removeItem(at: log) }
        try process.run()
        defer { if process.isRunning { process.terminate(); process.waitUntilExit() } }

        let c = try #require(Self.connect(port, within: 30), "recur serve never listened")
        let loading = try #require(c.ask("SCORE \(user) AT \(at)"))
        #expect(loading.hasPrefix("ERR LOADING "), "got \(loading)")
        #expect(c.ask("MSCORE \(user) nobody")?.hasPrefix("ERR LOADING ") == true)
        #expect(c.ask("FEATURES \(user)")?.hasPrefix("ERR LOADING ") == true)
        #expect(c.ask("PING") == "PONG")
        let stats = json(try #require(c.ask("STATS")))
        #expect(stats["ready"] as? Bool == false && stats["users"] as? Int == 0)
        c.send("*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n")
        let header = try #require(c.line())
        let info = String(decoding: try #require(c.bytes((Int(header.dropFirst()) ?? 0) + 2)), as: UTF8.self)
        #expect(info.hasPrefix("# Persistence\r\nloading:1\r\n") && info.contains("loading_expected_users:"), "got \(info)")

        let h = try #require(Self.connect(httpPort, within: 10))
        let ready = try #require(h.get("/readyz"))
        #expect(ready.status == 503 && json(ready.body)["ready"] as? Bool == false)
        let refused = try #require(h.get("/v1/score/\(user)"))
        #expect(refused.status == 503 && (json(refused.body)["error"] as? [String: Any])?["code"] as? String == "LOADING", "got \(refused.body)")

        // The CLI client says so instead of printing an error per user.
        let client = Process()
        client.executableURL = URL(fileURLWithPath: RecurBinary.path)
        client.arguments = ["score", user, "--port", String(port), "--wait", "0s"]
        let clientErrors = Pipe()
        client.standardOutput = FileHandle.nullDevice
        client.standardError = clientErrors
        try client.run()
        let said = String(decoding: clientErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        client.waitUntilExit()
        #expect(client.terminationStatus != 0 && said.contains("still loading"), "got \(said)")

        try holder.connection.execute("COMMIT")
        let deadline = Date().addingTimeInterval(60)
        var answer = loading
        while answer.hasPrefix("ERR LOADING"), Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            answer = c.ask("SCORE \(user) AT \(at)") ?? ""
        }
        let parts = answer.split(separator: " ")
        // Six decimals on the wire.
        #expect(
            parts.count >= 2 && abs((Double(parts[0]) ?? -1) - expected.probability) < 5e-7,
            "got \(answer), expected \(expected.probability); server log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        let loaded = json(try #require(c.ask("STATS")))
        #expect(loaded["ready"] as? Bool == true && loaded["users"] as? Int == f.server.service.userCount)
        #expect(h.get("/readyz")?.status == 200)
    }
}
