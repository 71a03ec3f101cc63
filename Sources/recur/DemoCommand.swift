import ArgumentParser
import Foundation
import Kafka
import RecurCore

/// `recur demo`: the whole product on generated data, on the embedded PostgreSQL and an in-process
/// Kafka mock cluster, by running Recur's own commands one after the other.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the whole path on a year of generated events that ends today: stream, backfill, train, compare, serve, refresh.",
        discussion: """
            Everything goes to the schema `demo` of the embedded cluster (or $RECUR_SCHEMA), models to \
            .recur/demo/models (or $RECUR_MODELS_DIR) and the comparison report to notebooks-export/. \
            Run it again and it reuses what is there: the stream finds every event stored already, and \
            trained models are kept.
            """)

    @Option(help: "Users to generate (about 50 events each over the year: a million events in all by default).") var users = 20_000
    @Option(help: "TCP port for the demo's server (HTTP on the next one).") var port = 7878
    @Option(name: .customLong("export-dir"), help: "Where the comparison reports go.") var exportDirectory = "notebooks-export"
    @Option(name: .customLong("home"), help: ArgumentHelp("Recur data folder (default: $RECUR_HOME or ./.recur).", valueName: "dir"))
    var home: String?

    func run() throws {
        let started = Date()
        let environment = ProcessInfo.processInfo.environment
        let home = home ?? environment["RECUR_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".recur"
        var child = environment
        child["RECUR_HOME"] = home
        if (child["RECUR_SCHEMA"] ?? "").isEmpty { child["RECUR_SCHEMA"] = "demo" }
        // The steps' stderr comes through a pipe when it is kept for the summary: let them draw their bars anyway.
        if isatty(2) == 1 { child["RECUR_PROGRESS"] = "1" }
        if (child["RECUR_MODELS_DIR"] ?? "").isEmpty { child["RECUR_MODELS_DIR"] = (home as NSString).appendingPathComponent("demo/models") }
        let steps = DemoSteps(environment: child)
        let today = Timestamp(microseconds: Timestamp.now.microseconds / Timestamp.microsecondsPerDay * Timestamp.microsecondsPerDay)
        let start = today - .days(365)
        func day(_ t: Timestamp) -> String { t.dateString }

        steps.header("Kafka: an in-process mock cluster (librdkafka's) with a topic of 16 partitions")
        let cluster = try MockCluster(brokers: 1)
        // A new topic each run: the offsets stored by an earlier run belong to that run's topic.
        let topic = "demo-\(Int(started.timeIntervalSince1970))"
        // The mock keeps only about 5 MiB a partition and drops older data silently: room for every event.
        try cluster.createTopic(topic, partitions: 16)
        steps.note("bootstrap \(cluster.bootstrapServers)")

        steps.header("produce a year of events for \(users) users, \(day(start)) to \(day(today)): 2% late, 1% duplicated, 0.1% malformed")
        let produced = try steps.recur(
            [
                "events", "produce", "--brokers", cluster.bootstrapServers, "--topic", topic, "--users", "\(users)", "--seed", "7",
                "--start", day(start), "--days", "365", "--late", "2", "--duplicates", "1", "--malformed", "0.1"
            ], captureErrors: true)

        steps.header("stream them into PostgreSQL (exactly once; stops when the topic is drained)")
        let streamed = try steps.recur(["stream", "--brokers", cluster.bootstrapServers, "--topic", topic, "--exit-at-end"], captureErrors: true)

        steps.header("drop a file into a watched folder: `recur stream --dir` loads it once and archives it")
        let inbox = (home as NSString).appendingPathComponent("demo/inbox"), archive = (home as NSString).appendingPathComponent("demo/done")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let drop = (inbox as NSString).appendingPathComponent("late-orders.csv")
        try steps.recur(["events", "generate", "--users", "200", "--seed", "8", "--start", day(today - .days(14)), "--days", "14", "--output", drop + ".part"])
        try FileManager.default.moveItem(atPath: drop + ".part", toPath: drop)
        let folder = try steps.recur(["stream", "--dir", inbox, "--archive", archive, "--settle", "300ms", "--exit-when-idle", "2s"], captureErrors: true)

        steps.header("weekly feature snapshots over the year, and every user's online state")
        // Weeks end on Sundays: 1970-01-04 was one.
        let lastSunday = today - .days((today.microseconds / Timestamp.microsecondsPerDay - 3) % 7)
        try steps.recur(["features", "backfill", "--from", day(lastSunday - .days(7 * 42)), "--to", day(lastSunday), "--every", "7d"])

        // The last training cutoff's labels reach 30 days past it; the comparison's cutoff must come
        // after them (or the models would be graded on what they learnt) and its own 30 days must end
        // by today: holdout 13 weeks back, comparison 5 weeks back. The four weeks between leave
        // `recur refresh` newer complete weeks than production learnt from, so its candidate differs.
        let holdout = lastSunday - .days(91), comparedAt = lastSunday - .days(35)
        steps.header("train: purchase within 30 days; weekly cutoffs to \(day(holdout)), the last one held out")
        let trainFrom = day(holdout - .days(7 * 25)), trainTo = day(holdout)
        var reused = [String]()
        for (version, kind) in [("v1", "logistic"), ("v2", "gbdt"), ("v3", "bgnbd")] {
            if steps.modelExists(version) {
                reused.append(version)
                steps.note("model \(version) exists: reused (delete \(steps.modelsDirectory)/\(version) to train it again)")
                continue
            }
            try steps.recur(["train", "--version", version, "--model", kind, "--from", trainFrom, "--to", trainTo, "--every", "7d", "--horizon", "30d"])
        }

        steps.header(
            "compare v1, v2 and v3 on one evaluation set at \(day(comparedAt)), after all their training labels; the report goes to \(exportDirectory)/")
        try steps.recur(["models", "compare", "v1", "v2", "v3", "--cutoff", day(comparedAt), "--segments", "--export-dir", exportDirectory])
        let ranked = try DemoSteps.aucs(metricsFile: (exportDirectory as NSString).appendingPathComponent("compare-v1-v2-v3/metrics.json")).sorted {
            $0.auc > $1.auc
        }
        guard let winner = ranked.first?.model else { throw CLIError.failed("the comparison's metrics.json lists no models") }
        try steps.recur(["models", "promote", winner, "--alias", "production"], capture: true)

        steps.header("serve the winner (\(winner)) over TCP :\(port) and HTTP :\(port + 1); score users as of today")
        let server = try steps.background(["serve", "--port", "\(port)", "--http-port", "\(port + 1)", "--model", "production"])
        defer { server.interrupt(); server.waitUntilExit() }
        try steps.waitForPort(port, server: server)
        let sample = try steps.sampleUsers(count: 3)
        let scored = try steps.recur(["score", "--port", "\(port)", "--wait", "120s"] + sample + ["nobody-yet"], capture: true)
        let http = try DemoSteps.httpGet(port: port + 1, path: "/v1/score/\(sample[0])")
        DemoSteps.say("$ curl 127.0.0.1:\(port + 1)/v1/score/\(sample[0])\n\(http)")

        steps.header("recur refresh: backfill the newest week, train a candidate, compare it with production, promote only if it passes")
        let refresh = try steps.recur(["refresh", "--export-dir", exportDirectory], capture: true)

        let seconds = Date().timeIntervalSince(started)
        DemoSteps.say("\n== done in \(Int(seconds.rounded())) s")
        DemoSteps.say(
            DemoSummary(
                produced: produced, streamed: streamed, folder: folder, ranked: ranked,
                winner: winner, scored: scored, refresh: refresh, reused: reused, home: home, schema: child["RECUR_SCHEMA"]!,
                models: steps.modelsDirectory, exports: exportDirectory, port: port
            ).text)
    }
}
