import Foundation
import Testing

/// Runs the real `recur` binary as users do.
@Suite struct CommandLineTests {
    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    func recur(_ arguments: [String], home: String, stdin: String? = nil, environment extra: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: RecurBinary.path)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["RECUR_HOME"] = home
        environment.removeValue(forKey: "DATABASE_URL")
        environment.merge(extra) { $1 }
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func freshHome() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("recur-cli-\(UInt32.random(in: 0...UInt32.max))").path
    }

    @Test func twoConcurrentStartsBothSucceedAndOneServerRuns() async throws {
        let home = freshHome()
        defer { _ = try? recur(["db", "stop"], home: home) }
        async let a = Task.detached { try self.recur(["db", "start"], home: home) }.value
        async let b = Task.detached { try self.recur(["db", "start"], home: home) }.value
        let (first, second) = try await (a, b)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(second.status == 0, "\(second.stderr)")
        let status = try recur(["db", "status"], home: home)
        #expect(status.stdout.contains("running"))
    }

    /// libpq echoes a URL it cannot parse, or the token it choked on; Recur's own messages name the URL.
    @Test(arguments: [
        "postgresql://u:secretpw@[::1:1/x", "postgresql://u:secret%zzpw@127.0.0.1:1/x", "postgresql://u@127.0.0.1:1/x?password=secretpw",
        "postgresql://u@127.0.0.1:1/x?sslmode=disable&password=secretpw", "host=127.0.0.1 port=1 user=u password=secretpw dbname=x",
        "host=127.0.0.1 port=1 password='secretpw' dbname=x"
    ])
    func noErrorPathPrintsTheDatabasePassword(url: String) throws {
        let home = freshHome()
        for arguments in [["events", "stats"], ["db", "status"], ["features", "list"], ["serve", "--port", "0", "--model", "v1"]] {
            let outcome = try recur(arguments, home: home, environment: ["DATABASE_URL": url])
            let printed = outcome.stdout + outcome.stderr
            #expect(!printed.contains("secret"), "recur \(arguments.joined(separator: " ")) printed the password: \(printed)")
        }
    }

    /// `features join` reads a gzipped file and standard input alike, and reports rows it cannot read.
    @Test func featuresJoinReadsGzipAndStdinAndReportsBadRows() throws {
        let home = freshHome()
        defer { _ = try? recur(["db", "stop"], home: home) }
        let folder = home + "-files"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        #expect(try recur(["events", "generate", "--users", "40", "--seed", "4", "-o", folder + "/events.csv"], home: home).status == 0)
        #expect(try recur(["events", "import", folder + "/events.csv"], home: home).status == 0)
        let rows = "user_id,ts,extra\n000000000001,2025-06-01T00:00:00Z,a\n000000000002,2025-09-01,\"b,c\"\n000000000003,yesterday,d\n"
        try Data(rows.utf8).write(to: URL(fileURLWithPath: folder + "/rows.csv"))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", "-f", folder + "/rows.csv"]
        try gzip.run()
        gzip.waitUntilExit()
        let fromFile = try recur(["features", "join", folder + "/rows.csv.gz"], home: home)
        let fromStdin = try recur(["features", "join", "-"], home: home, stdin: rows)
        #expect(fromFile.status == 0 && fromStdin.status == 0, "\(fromFile.stderr) \(fromStdin.stderr)")
        #expect(fromFile.stdout == fromStdin.stdout && !fromFile.stdout.isEmpty)
        let lines = fromFile.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("user_id,ts,extra,days_since_last_purchase") && lines[2].hasPrefix("000000000002,2025-09-01,\"b,c\","))
        #expect(fromFile.stderr.contains("line 4: `yesterday` in ts is not a time") && fromFile.stderr.contains("1 rejected"), "\(fromFile.stderr)")
        let nothing = try recur(["features", "join", "-"], home: home, stdin: "user_id,ts\nu,never\n")
        #expect(nothing.status != 0 && nothing.stderr.contains("no row"), "\(nothing.stderr)")
    }

    @Test func recoversFromAStalePidFile() throws {
        let home = freshHome()
        defer { _ = try? recur(["db", "stop"], home: home) }
        #expect(try recur(["db", "start"], home: home).status == 0)
        let status = try recur(["db", "status"], home: home)
        let data = status.stdout.split(separator: "\n").first { $0.hasPrefix("data:") }.map { String($0.dropFirst(5)).trimmingCharacters(in: .whitespaces) }
        let dataDirectory = try #require(data)
        // Kill the server hard, then leave a pid file pointing at a process that is gone.
        let pidText = try String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8)
        let pid = try #require(Int32(pidText.split(separator: "\n")[0]))
        kill(pid, SIGKILL)
        var waited = 0
        while kill(pid, 0) == 0 && waited < 100 { usleep(50_000); waited += 1 }
        let restarted = try recur(["db", "start"], home: home)
        #expect(restarted.status == 0, "\(restarted.stderr)")
        #expect(try recur(["events", "stats", "--format", "json"], home: home).stdout.contains("\"events\":0"))
    }

    @Test func generateImportFromStdinAndStats() throws {
        let home = freshHome()
        defer { _ = try? recur(["db", "stop"], home: home) }
        let generated = try recur(["events", "generate", "--users", "50", "--seed", "3", "--duplicates", "5"], home: home)
        #expect(generated.status == 0)
        let imported = try recur(["events", "import", "-", "--quiet"], home: home, stdin: generated.stdout)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("duplicates") && !imported.stderr.contains("duplicates 0,"))
        let stats = try recur(["events", "stats", "--format", "json"], home: home)
        let json = try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any]
        let lines = generated.stdout.split(separator: "\n").dropFirst()
        #expect(json?["events"] as? Int == Set(lines.map { $0.split(separator: ",")[0] }).count)
        #expect((json?["users"] as? Int ?? 0) > 0)
        #expect(json?["first_event"] is String && json?["last_event"] is String && json?["rejected"] as? Int == 0)
    }

    @Test func exitsNonZeroWhenNothingLoadsOrTooManyRowsAreRejected() throws {
        let home = freshHome()
        defer { _ = try? recur(["db", "stop"], home: home) }
        let missing = try recur(["events", "import", "/nonexistent/file.csv", "--quiet"], home: home)
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/file.csv"))
        let garbage = try recur(
            ["events", "import", "-", "--quiet", "--columns", "user_id,ts", "--event-type", "view"], home: home,
            stdin: "u1,2025-01-01\nu2,garbage\n")
        #expect(garbage.status != 0 && garbage.stderr.contains("1 of 2 rows rejected, over --max-rejected 10.0%"), "\(garbage.stderr)")
        #expect(garbage.stderr.contains("loaded 1") && garbage.stderr.contains("rejected 1"), "the good row is kept")
        let tolerated = try recur(
            ["events", "import", "-", "--quiet", "--columns", "user_id,ts", "--event-type", "view", "--max-rejected", "50%"], home: home,
            stdin: "u3,2025-01-01\nu4,garbage\n")
        #expect(tolerated.status == 0, "\(tolerated.stderr)")
    }

    /// Reading "to the end" means a topic's end; a watched folder has none, and saying so beats waiting forever.
    @Test func exitAtEndIsRefusedForAWatchedFolder() throws {
        let outcome = try recur(["stream", "--dir", NSTemporaryDirectory(), "--exit-at-end"], home: freshHome())
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("--exit-at-end") && outcome.stderr.contains("--exit-when-idle"), "\(outcome.stderr)")
    }

    /// Every duration option has one reader: a bad one is named before anything runs, and a zero
    /// where time is needed is refused, with `train`'s own `--version` option in the line.
    @Test func durationsAreReadOneWayAndZeroIsRefusedWhereTimeIsNeeded() throws {
        let home = freshHome()
        for arguments in [
            ["train", "--version", "v1", "--cutoffs", "2025-03-01", "--horizon", "30x"],
            ["features", "backfill", "--from", "2025-01-01", "--to", "2025-02-01", "--every", "1 week"],
            ["serve", "--port", "0", "--idle-timeout", "soon"], ["stream", "--dir", NSTemporaryDirectory(), "--settle", "1x"]
        ] {
            let outcome = try recur(arguments, home: home)
            let option = arguments[arguments.count - 2]
            #expect(outcome.status == 64 && outcome.stderr.contains("invalid for '\(option)"), "\(arguments): \(outcome.stderr)")
        }
        for (arguments, option) in [
            (["features", "backfill", "--from", "2025-01-01", "--to", "2025-02-01", "--every", "0"], "--every"),
            (["serve", "--port", "0", "--request-timeout", "0s"], "--request-timeout"),
            (["stream", "--dir", NSTemporaryDirectory(), "--batch-wait", "0ms"], "--batch-wait"),
            (["train", "--version", "v1", "--cutoffs", "2025-03-01", "--horizon", "0d"], "--horizon")
        ] {
            let outcome = try recur(arguments, home: home)
            #expect(outcome.status != 0 && outcome.stderr.contains("\(option) must be longer than 0"), "\(arguments): \(outcome.stderr)")
        }
    }
}
