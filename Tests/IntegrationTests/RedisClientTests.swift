import Foundation
import NIOCore
import Testing

@testable import RecurCore
@testable import RecurServer

/// The compatibility matrix of docs/protocol.md, one test per row: each real client library runs its
/// script from Tests/clients against a server without a token and one with a token. A client that is
/// not installed here is skipped with a message saying so (scripts/test.sh installs them all).
@Suite(.serialized) struct RedisClientTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = root.appendingPathComponent("Tests/clients").path
    static let python = ProcessInfo.processInfo.environment["RECUR_CLIENTS_PYTHON"] ?? root.appendingPathComponent(".build/clients-venv/bin/python").path

    static func installed(_ path: String) -> Bool { FileManager.default.isExecutableFile(atPath: path) }
    static func onPath(_ tool: String) -> String? {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/\(tool)" }.first(where: installed)
    }

    static let hasRedisTools = onPath("redis-cli") != nil && onPath("redis-benchmark") != nil
    static let hasRedisPy = installed(python) && run(python, ["-c", "import redis"]).status == 0
    static func imports(_ module: String) -> Bool { installed(python) && run(python, ["-c", "import \(module)"]).status == 0 }
    static let hasValkeyPy = installed(python) && run(python, ["-c", "import valkey"]).status == 0
    static let hasNodeRedis = onPath("node") != nil && FileManager.default.fileExists(atPath: "/usr/share/nodejs/redis/package.json")
    static let hasRubyRedis = onPath("ruby") != nil && run(onPath("ruby")!, ["-e", "require 'redis'"]).status == 0
    static let hasHiredis = onPath("cc") != nil && FileManager.default.fileExists(atPath: "/usr/include/hiredis/hiredis.h")

    /// One server without a token and one with, shared by the rows that run: building each costs a
    /// backfill and a training run. The last row to finish stops them and drops their schemas.
    static let servers = SharedServers(users: [hasRedisTools, hasRedisPy, hasValkeyPy, hasNodeRedis, hasRubyRedis, hasHiredis].filter { $0 }.count)
    static let at = "2025-06-01T00:00:00Z"

    static func run(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(extra) { $1 }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("client-\(UInt32.random(in: 0...UInt32.max)).log")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        guard let log = try? FileHandle(forWritingTo: output) else { return (-1, "cannot write \(output.path)") }
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "\(executable): \(error)") }
        let deadline = Date().addingTimeInterval(120)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? log.close()
        let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(at: output)
        return (process.terminationStatus, text)
    }

    /// Runs a client script against both servers; each run must exit 0 and report `ok`.
    func check(_ executable: String, _ leading: [String], environment: [String: String] = [:], expectLines: Int) throws {
        try Self.servers.use { try check(executable, leading, environment: environment, expectLines: expectLines, on: $0) }
    }

    private func check(_ executable: String, _ leading: [String], environment: [String: String], expectLines: Int, on servers: [ServerTests.Fixture]) throws {
        for (index, f) in servers.enumerated() {
            let user = f.users[0]
            let score = try f.server.service.score(user, at: DateText.parse(Self.at))
            var buffer = ByteBuffer()
            Reply.score(score).write(.plain, into: &buffer)
            let expected = String(buffer: buffer).trimmingCharacters(in: .newlines)
            var arguments = leading + [String(f.port), user, expected, Self.at]
            if index == 1 { arguments.append("matrix-t0ken") }
            let (status, output) = Self.run(executable, arguments, environment: environment)
            #expect(status == 0, "\(arguments.first ?? executable) \(index == 1 ? "with a token" : "without a token"):\n\(output)")
            let oks = output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
            #expect(oks.count >= expectLines + index, "\(output)")
        }
    }

    @Test(.enabled(if: hasRedisTools, "redis-cli/redis-benchmark not installed (Debian redis-tools; scripts/test.sh installs it)"))
    func redisCLIAndRedisBenchmark() throws {
        try check("/bin/bash", [Self.scripts + "/redis_cli_client.sh"], expectLines: 2)
    }

    @Test(.enabled(if: hasRedisPy, "redis-py not installed in .build/clients-venv (scripts/test.sh installs the newest from PyPI)"))
    func redisPySyncPipelinePoolAsyncioOnRESP2AndRESP3() throws {
        // Both protocols once more through hiredis's parser when it is installed (scripts/test.sh does).
        try check(Self.python, [Self.scripts + "/redis_py_client.py"], expectLines: Self.imports("hiredis") ? 7 : 5)
    }

    @Test(.enabled(if: hasValkeyPy, "valkey-py not installed in .build/clients-venv (scripts/test.sh installs the newest from PyPI)"))
    func valkeyPySyncPipelinePoolAsyncioOnRESP2AndRESP3() throws {
        try check(
            Self.python, [Self.scripts + "/redis_py_client.py"], environment: ["RECUR_CLIENT_LIBRARY": "valkey"], expectLines: Self.imports("libvalkey") ? 7 : 5
        )
    }

    @Test(.enabled(if: hasNodeRedis, "node-redis not installed (Debian node-redis; scripts/test.sh installs it)"))
    func nodeRedis() throws {
        try check(Self.onPath("node")!, [Self.scripts + "/node_redis_client.js"], environment: ["NODE_PATH": "/usr/share/nodejs"], expectLines: 1)
    }

    @Test(.enabled(if: hasRubyRedis, "ruby-redis not installed (Debian ruby-redis; scripts/test.sh installs it)"))
    func rubyRedis() throws {
        try check(Self.onPath("ruby")!, [Self.scripts + "/ruby_redis_client.rb"], expectLines: 1)
    }

    @Test(.enabled(if: hasHiredis, "hiredis not installed (Debian libhiredis-dev; scripts/test.sh installs it)"))
    func hiredisFromC() throws {
        let binary = FileManager.default.temporaryDirectory.appendingPathComponent("hiredis-client-\(getpid())").path
        let built = Self.run(Self.onPath("cc")!, ["-Wall", "-Werror", "-o", binary, Self.scripts + "/hiredis_client.c", "-lhiredis"])
        try #require(built.status == 0, "hiredis_client.c does not build:\n\(built.output)")
        defer { try? FileManager.default.removeItem(atPath: binary) }
        try check(binary, [], expectLines: 1)
    }
}

/// Servers built on first use and stopped when the last of `users` is done with them.
final class SharedServers: @unchecked Sendable {
    private let lock = NSLock()
    private var fixtures: [ServerTests.Fixture]?
    private var remaining: Int

    init(users: Int) { remaining = users }

    func use(_ body: ([ServerTests.Fixture]) throws -> Void) throws {
        lock.lock()
        defer {
            remaining -= 1
            if remaining == 0, let fixtures { fixtures.forEach(ServerTests.stop); self.fixtures = nil }
            lock.unlock()
        }
        if fixtures == nil { fixtures = [try ServerTests.fixture(), try ServerTests.fixture(authToken: "matrix-t0ken")] }
        try body(fixtures!)
    }
}
