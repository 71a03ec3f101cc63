import Foundation
import Kafka
import Postgres
import Testing

@testable import RecurCore

/// Real processes for the stream tests: `recur stream` builders, `recur events produce`, kcat.
final class RecurProcess {
    let process = Process()
    let stderrPath: String

    init(_ arguments: [String], environment extra: [String: String] = [:], label: String) throws {
        process.executableURL = URL(fileURLWithPath: RecurBinary.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        stderrPath = FileManager.default.temporaryDirectory.appendingPathComponent("recur-\(label)-\(UInt32.random(in: 0...UInt32.max)).log").path
        _ = FileManager.default.createFile(atPath: stderrPath, contents: nil)
        let log = FileHandle(forWritingAtPath: stderrPath)!
        process.standardError = log
        process.standardOutput = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "" }
    var pid: Int32 { process.processIdentifier }
    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for the process to end; returns its exit status (or nil after `timeout` seconds, when it is killed).
    @discardableResult
    func wait(timeout: Double = 120) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { signal(SIGKILL); process.waitUntilExit(); return nil }
        return process.terminationStatus
    }

    /// Waits until the log contains `text`.
    func waitFor(_ text: String, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if log.contains(text) { return true }
            if !process.isRunning { return log.contains(text) }
            usleep(100_000)
        }
        return false
    }
}

/// Checks that the stream's end state is what a backfill computes from the same events.
enum StreamCheck {
    static func environment(_ store: Store) -> [String: String] {
        ["RECUR_HOME": TestStore.home, "RECUR_SCHEMA": store.location.schema]
    }

    /// Every user's stored state answers like a fold of that user's stored events, at several as-of times;
    /// returns the number of users compared and any that differ.
    static func statesMatchEvents(_ store: Store, set: FeatureSet) throws -> (users: Int, mismatched: [String]) {
        try OnlineStateCheck.run(set: set, on: store.connection)
    }

    static func count(_ store: Store, _ sql: String) throws -> Int { try store.connection.query(sql).require(Int.self, 0, 0) }

    /// Parses `produced N messages … (L late, D duplicated, M malformed)` from the producer's summary.
    static func produced(_ log: String) -> (messages: Int, duplicated: Int, malformed: Int)? {
        guard let line = log.split(separator: "\n").first(where: { $0.hasPrefix("produced ") }) else { return nil }
        let words = line.split(whereSeparator: { $0 == " " || $0 == "(" || $0 == "," })
        func number(before label: String) -> Int? {
            guard let index = words.firstIndex(where: { $0.hasPrefix(label) }), index > 0 else { return nil }
            return Int(words[index - 1])
        }
        guard let messages = number(before: "messages"), let duplicated = number(before: "duplicated"),
            let malformed = number(before: "malformed")
        else { return nil }
        return (messages, duplicated, malformed)
    }

    /// A feature set like the default but allowing only 10 minutes of lateness, so the producer's
    /// 30-60-minute-late events take the stream's refold path.
    static func strictLatenessFolder() throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recur-strict-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        var text = BuiltinFeatureSets.files.first { $0.name.hasPrefix("default") }?.text ?? ""
        text = text.replacingOccurrences(of: "name = \"default\"", with: "name = \"strict\"")
        text = text.replacingOccurrences(of: "allowed_lateness = \"2d\"", with: "allowed_lateness = \"10m\"")
        try text.write(toFile: folder + "/strict.toml", atomically: true, encoding: .utf8)
        // A rollup of the user's own beside the built-in ones: the stream keeps it too.
        try """
        [[rollup]]
        name = "rollup_device_5m"
        window = "5m"
        group = "device"
        watermark = "10m"
        measures = ["events", "users", "quantity", "refunded", "late"]
        """.write(toFile: folder + "/rollups.toml", atomically: true, encoding: .utf8)
        return folder
    }

    /// Every rollup and the sessions equal a recount of the stored events, row for row: by Recur's
    /// own SQL, and by scripts/check-rollups.py, which recounts them in Python from the definitions.
    static func rollupsMatchEvents(_ store: Store, expecting names: Set<String> = []) throws {
        let differences = try RollupRegistry.differences(on: store.connection)
        #expect(names.isSubset(of: Set(differences.map(\.name))), "registered: \(differences.map(\.name))")
        #expect(differences.count >= 5)
        for (name, rows) in differences { #expect(rows == 0, "\(name): \(rows) rows differ from a recount of the events") }
        let (status, output) = try independentRecount(store)
        #expect(status == 0, "scripts/check-rollups.py: \(output)")
    }

    /// Runs scripts/check-rollups.py against the store: its exit status and what it printed.
    static func independentRecount(_ store: Store) throws -> (Int32, String) {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/check-rollups.py").path, store.conninfo, store.location.schema]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }
}
