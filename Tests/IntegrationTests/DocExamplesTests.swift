import Foundation
import Testing

/// Every command example in README.md and docs/ is real: ```sh blocks run as written against a
/// scratch store, and every `recur …` anywhere (other blocks, inline spans, the commands' own
/// `--help` examples) names commands and options that exist.
@Suite(.serialized) struct DocExamplesTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func examples() throws -> DocExamples {
        try DocExamples(files: DocExamples.files(in: root), relativeTo: root)
    }

    @Test func everyRecurCommandNamesRealCommandsAndOptions() throws {
        let help = HelpTexts()
        let examples = try Self.examples()
        var commands = examples.inline
        for block in examples.blocks { commands += DocExamples.commands(in: block) }
        // The commands' own help: every command is reached from `recur --help`, and its examples checked too.
        var paths: [[String]] = [[]]
        while let path = paths.popLast() {
            let text = try help.text(path)
            #expect(text.contains("USAGE: recur"), "`recur \(path.joined(separator: " ")) --help` prints a usage line")
            paths += try help.subcommands(path).map { path + [$0] }
            commands += DocExamples.commands(in: text, place: { _ in "`recur \(path.joined(separator: " ")) --help`" })
        }
        #expect(commands.count > 60, "found \(commands.count) commands to check")
        for command in commands {
            let (path, options) = try DocExamples.parts(of: command.text, subcommands: help.subcommands)
            // A group alone (`recur models <subcommand>`) is only its usage line.
            let group = command.text.contains("<subcommand>") || path.isEmpty || options.contains("--help")
            #expect(try group || help.subcommands(path).isEmpty, "\(command): names no command")
            let text = try help.text(path)
            for option in options where option != "--help" && option != "--version" {
                #expect(
                    text.range(of: option + #"([\s,=\]]|$)"#, options: .regularExpression) != nil,
                    "\(command): `recur \(path.joined(separator: " "))` has no \(option)")
            }
        }
    }

    /// All files' blocks in one folder and one shell, README first: a reader who follows the README
    /// and then the docs has the store the docs' examples build on.
    @Test func examplesRunAsWritten() throws {
        let blocks = try Self.examples().blocks.filter(\.runs)
        #expect(Set(blocks.map(\.file)).isSuperset(of: ["README.md", "docs/streaming.md", "docs/operations.md"]))
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recur-doc-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let binaries = URL(fileURLWithPath: RecurBinary.path).deletingLastPathComponent().path
        defer {
            let stop = Process()
            stop.executableURL = URL(fileURLWithPath: RecurBinary.path)
            stop.arguments = ["db", "stop", "--home", scratch.appendingPathComponent(".recur").path]
            try? stop.run()
            stop.waitUntilExit()
        }
        var script = """
            set -euo pipefail
            trap 'echo "example failed (exit $?): $BASH_COMMAND" >&2' ERR
            trap 'jobs -p | xargs -r kill 2>/dev/null; wait' EXIT

            """
        for block in blocks { script += "echo '=== \(block.file):\(block.line)' >&2\n" + block.text }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script]
        process.currentDirectoryURL = scratch
        var environment = ProcessInfo.processInfo.environment
        for name in ["DATABASE_URL", "RECUR_HOME", "KAFKA_BROKERS", "RECUR_SCHEMA", "RECUR_FEATURES_DIR"] { environment.removeValue(forKey: name) }
        // The clients venv (redis-py, requests, pandas, psycopg) runs the README's Python recipe.
        let venv = Self.root.appendingPathComponent(".build/clients-venv/bin").path
        let python = FileManager.default.isExecutableFile(atPath: venv + "/python3") ? venv + ":" : ""
        environment["PATH"] = binaries + ":" + python + (environment["PATH"] ?? "/usr/bin:/bin")
        process.environment = environment
        let log = scratch.appendingPathComponent("examples.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // A hung example (a server nobody stops) fails the test instead of the whole run.
        let deadline = Date().addingTimeInterval(600)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "the examples failed in \(scratch.path):\n\(output.split(separator: "\n").suffix(40).joined(separator: "\n"))")
    }
}

/// `recur … --help` of each command, asked once.
final class HelpTexts: @unchecked Sendable {
    private var cache: [[String]: String] = [:]
    private let lock = NSLock()

    func text(_ path: [String]) throws -> String {
        if let known = lock.withLock({ cache[path] }) { return known }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RecurBinary.path)
        process.arguments = path + ["--help"]
        var environment = ProcessInfo.processInfo.environment
        environment["COLUMNS"] = "400"
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        lock.withLock { cache[path] = text }
        return text
    }

    /// The names under SUBCOMMANDS in a command's help.
    func subcommands(_ path: [String]) throws -> [String] {
        let text = try text(path)
        guard let start = text.range(of: "SUBCOMMANDS:\n") else { return [] }
        var names: [String] = []
        for line in text[start.upperBound...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty || !line.hasPrefix("  ") { break }
            // Names sit at two spaces; wrapped descriptions are indented further.
            guard !line.hasPrefix("   "), let name = line.split(separator: " ").first else { continue }
            if name != "help" { names.append(String(name)) }
        }
        return names
    }
}
