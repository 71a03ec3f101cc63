import Foundation
import RecurCore
import Testing

@testable import RecurServer

/// The messages a newcomer meets in their first hour: each names what is wrong and the command or
/// option that fixes it.
@Suite(.serialized) struct FirstHourTests {
    let cli = CommandLineTests()

    @Test func aMistypedCommandGetsTheClosestName() throws {
        let home = cli.freshHome()
        let top = try cli.recur(["featurs", "list"], home: home)
        #expect(top.status == 64 && top.stderr.contains("unknown command 'featurs' for 'recur'. Did you mean 'features'?"), "\(top.stderr)")
        let nested = try cli.recur(["models", "compar", "v1", "v2"], home: home)
        #expect(nested.status == 64 && nested.stderr.contains("Did you mean 'compare'?"), "\(nested.stderr)")
        let derived = try cli.recur(["db", "strat"], home: home)
        #expect(derived.status == 64 && derived.stderr.contains("Did you mean 'start'?"), "names derived from the type: \(derived.stderr)")
        let far = try cli.recur(["xyzzy"], home: home)
        #expect(far.status == 64 && !far.stderr.contains("Did you mean") && far.stderr.contains("Commands: db, events"), "\(far.stderr)")
        let option = try cli.recur(["train", "--version", "x", "--hoizon", "30d"], home: home)
        #expect(option.status != 0 && option.stderr.contains("Did you mean '--horizon'?"), "\(option.stderr)")
    }

    @Test func trainingSaysWhatToDoFirst() throws {
        let home = cli.freshHome()
        defer { _ = try? cli.recur(["db", "stop"], home: home) }
        let models = home + "-models"
        let reversed = try cli.recur(["train", "--models-dir", models, "--version", "v1", "--from", "2025-06-01", "--to", "2025-01-01"], home: home)
        #expect(reversed.status != 0 && reversed.stderr.contains("--from 2025-06-01 is after --to 2025-01-01"), "\(reversed.stderr)")
        let file = home + "-events.csv"
        #expect(try cli.recur(["events", "generate", "--users", "30", "--seed", "3", "-o", file], home: home).status == 0)
        #expect(try cli.recur(["events", "import", file], home: home).status == 0)
        let early = try cli.recur(
            ["train", "--models-dir", models, "--version", "v1", "--from", "2025-03-02", "--to", "2025-04-27", "--every", "7d"], home: home)
        #expect(
            early.status != 0
                && early.stderr.contains(
                    "backfill them first: recur features backfill --set default@1 --from 2025-03-02T00:00:00Z --to 2025-04-27T00:00:00Z --every 7d"),
            "\(early.stderr)")
        #expect(!early.stderr.contains("--as-of"))
        // The backfill's progress: the share of the events read, against their total, on a terminal.
        let stored = try cli.recur(["events", "stats", "--format", "json"], home: home)
        let total = try #require((try JSONSerialization.jsonObject(with: Data(stored.stdout.utf8)) as? [String: Any])?["events"] as? Int)
        let backfill = try cli.recur(
            ["features", "backfill", "--from", "2025-03-02", "--to", "2025-04-27", "--every", "7d"], home: home, environment: ["RECUR_PROGRESS": "1"])
        #expect(backfill.status == 0 && backfill.stderr.contains("of \(total) events") && backfill.stderr.contains("%"), "\(backfill.stderr)")
        let serve = try cli.recur(["serve", "--port", "0", "--models-dir", models], home: home)
        #expect(serve.status != 0 && serve.stderr.contains("no model is trained yet") && serve.stderr.contains("recur models promote v1"), "\(serve.stderr)")
    }

    @Test func scoringWithNoServerSaysToStartOne() throws {
        let score = try cli.recur(["score", "42", "--port", "1", "--wait", "0s"], home: cli.freshHome())
        #expect(score.status != 0 && score.stderr.contains("start the server first (recur serve --port 1)"), "\(score.stderr)")
    }

    @Test func aBusyPortIsNamedAndAnUnknownUserIsToldApart() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        var configuration = ScoringServer.Configuration()
        configuration.port = f.port
        let second = ScoringServer(configuration: configuration, service: f.server.service)
        #expect {
            try second.start()
        } throws: { error in
            "\(error)" == "port \(f.port) on 127.0.0.1 is already in use (another recur serve, or another program): stop it, or choose a free port with --port"
        }
        second.shutdown()

        let known = f.users[0]
        let plain = try cli.recur(["score", known, "nobody-at-all", "--port", "\(f.port)"], home: cli.freshHome())
        #expect(plain.status == 0 && plain.stdout.contains("nobody-at-all\t") && plain.stdout.contains("\(known)\t"), "\(plain.stderr)")
        #expect(plain.stderr.contains("note: 1 of 2 users are unknown to the store (nobody-at-all)"), "\(plain.stderr)")
        let strict = try cli.recur(["score", known, "nobody-at-all", "--port", "\(f.port)", "--known-only"], home: cli.freshHome())
        #expect(strict.status != 0 && !strict.stdout.contains("nobody-at-all") && strict.stdout.contains("\(known)\t"), "\(strict.stdout)")
        #expect(strict.stderr.contains("nobody-at-all\tunknown user"), "\(strict.stderr)")
        let c = try TestClient(port: try #require(f.server.httpPort))
        #expect(json(c.get("/v1/score/nobody-at-all")?.body ?? "")["known"] as? Bool == false)
        #expect(json(c.get("/v1/score/\(known)")?.body ?? "")["known"] as? Bool == true)
    }

    @Test func datesAsShopsWriteThemAndImportsThatFailSaySo() throws {
        let home = cli.freshHome()
        defer { _ = try? cli.recur(["db", "stop"], home: home) }
        let folder = home + "-files"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func write(_ name: String, _ rows: [String]) throws -> String {
            let path = folder + "/" + name
            try Data((["user_id,ts,event_type,amount"] + rows).joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        // Ambiguous dates first, the deciding one (31/…) last: the whole file is read day-first.
        let dayFirst = try write("day-first.csv", (1...12).map { "a\($0),\($0)/02/2025,purchase,10" } + ["b,31/12/2025,view,"])
        let read = try cli.recur(["events", "import", dayFirst, "--quiet"], home: home)
        #expect(read.status == 0 && read.stderr.contains("loaded 13") && read.stderr.contains("dates: day-first (from the file"), "\(read.stderr)")
        let stored = try cli.recur(["features", "show", "a3", "--as-of", "2025-03-01"], home: home)
        #expect(stored.stdout.contains("days_since_last_purchase") && stored.stdout.contains("26"), "3/02 is 3 February: \(stored.stdout)")
        // Nothing decides: refused, naming the options, and the import fails.
        let ambiguous = try write("ambiguous.csv", ["c,03/04/2025,purchase,10", "d,05/06/2025,view,"])
        let refused = try cli.recur(["events", "import", ambiguous, "--quiet"], home: home)
        #expect(refused.status != 0 && refused.stderr.contains("none of its 2 rows could be loaded"), "\(refused.stderr)")
        let reasons = try cli.recur(["events", "rejected"], home: home)
        #expect(reasons.stdout.contains("--day-first or --month-first"), "\(reasons.stdout)")
        #expect(try cli.recur(["events", "import", ambiguous, "--month-first", "--quiet"], home: home).status == 0)
        // A pattern, and a share of bad rows over the limit fails while the good rows stay.
        let dotted = try write("dotted.csv", ["e,01.02.2025 10:00,purchase,10", "f,not a date,purchase,3", "g,02.02.2025 11:00,view,"])
        let loose = try cli.recur(["events", "import", dotted, "--date-format", "%d.%m.%Y %H:%M", "--quiet"], home: home)
        #expect(loose.status != 0 && loose.stderr.contains("1 of 3 rows rejected, over --max-rejected 10.0%"), "\(loose.stderr)")
        let tolerant = try cli.recur(["events", "import", dotted, "--date-format", "%d.%m.%Y %H:%M", "--max-rejected", "1", "--quiet"], home: home)
        #expect(tolerant.status == 0 && tolerant.stderr.contains("duplicates 2"), "\(tolerant.stderr)")
        let bad = try cli.recur(["events", "import", dotted, "--date-format", "%d.%m", "--quiet"], home: home)
        #expect(bad.status != 0 && bad.stderr.contains("needs a year"), "\(bad.stderr)")
    }

    /// Every request of every protocol is counted by protocol, command and status, and the text passes promtool's lint.
    @Test func everyRequestIsCountedAndTheMetricsLint() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let http = try TestClient(port: try #require(f.server.httpPort))
        for _ in 0..<7 { _ = http.get("/v1/score/\(f.users[1])") }
        _ = http.get("/v1/nothing-here")
        _ = http.get("/healthz")
        let plain = try TestClient(port: f.port)
        for _ in 0..<3 { _ = plain.ask("SCORE \(f.users[2])") }
        _ = plain.ask("NOSUCHCOMMAND")
        let resp = try TestClient(port: f.port)
        resp.send("*2\r\n$5\r\nSCORE\r\n$\(f.users[2].utf8.count)\r\n\(f.users[2])\r\n")
        _ = resp.line()
        _ = resp.line()
        // The tallies reach the totals when each read completes: ask until they are all there.
        var text = ""
        let deadline = Date().addingTimeInterval(30)
        repeat {
            let m = try TestClient(port: try #require(f.server.metricsPort))
            m.send("GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            text = ""
            while let line = m.line() { text += line + "\n" }
        } while !text.contains("protocol=\"resp\",command=\"score\"") && Date() < deadline
        for expected in [
            "recur_requests_total{protocol=\"http\",command=\"score\",status=\"ok\"} 7",
            "recur_requests_total{protocol=\"http\",command=\"unknown\",status=\"error\"} 1",
            "recur_requests_total{protocol=\"http\",command=\"healthz\",status=\"ok\"} 1",
            "recur_requests_total{protocol=\"plain\",command=\"score\",status=\"ok\"} 3",
            "recur_requests_total{protocol=\"plain\",command=\"unknown\",status=\"error\"} 1",
            "recur_requests_total{protocol=\"resp\",command=\"score\",status=\"ok\"} 1",
            "recur_build_info{version=\"\(RecurVersion.current)\"} 1", "recur_connected_clients "
        ] {
            #expect(text.contains(expected), "\(expected) in \(text)")
        }
        // promtool (Debian's prometheus package) lints names, types and help texts.
        let promtool = "/usr/bin/promtool"
        guard FileManager.default.isExecutableFile(atPath: promtool) else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_PROMTOOL"] == "1" { Issue.record("no promtool at \(promtool)") }
            return
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let body = lines.drop { !$0.isEmpty }.dropFirst().joined(separator: "\n")
        let (status, said) = try piped(promtool, ["check", "metrics"], input: body)
        #expect(status == 0 && said.isEmpty, "promtool check metrics: \(said)")
    }
}
