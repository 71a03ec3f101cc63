import ArgumentParser
import Foundation
import RecurCore

/// `recur features …`: define, compute and inspect features.
struct FeaturesCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Compute and inspect per-user features.",
        subcommands: [
            BackfillFeatures.self, RepairFeatures.self, CheckFeatures.self, ShowFeatures.self, JoinFeatures.self, ListFeatures.self, DescribeFeatures.self
        ]
    )
}

/// Which feature set: shared by every features command.
struct FeatureSetOptions: ParsableArguments {
    @Option(name: .customLong("set"), help: ArgumentHelp("Feature set as NAME or NAME@VERSION (default: default, latest version).", valueName: "set"))
    var reference: String?
    @Option(name: .customLong("features-dir"), help: ArgumentHelp("A folder of feature set .toml files (adds to the built-in sets).", valueName: "dir"))
    var directory: String?

    /// The folder given, or $RECUR_FEATURES_DIR.
    var folder: String? { directory ?? ProcessInfo.processInfo.environment["RECUR_FEATURES_DIR"] }
    func catalog() throws -> FeatureCatalog { try FeatureCatalog.load(directory: folder) }
    func resolve() throws -> FeatureSet { try catalog().resolve(reference) }
}

/// Parses a time given on the command line, with a message naming the option.
func parseTime(_ text: String, option: String) throws -> Timestamp {
    if text == "now" { return Timestamp.now }
    guard let time = DateText.parse(text) else {
        throw CLIError.usage("\(option) '\(text)' is not a date or time (e.g. 2025-06-01 or 2025-06-01T12:00:00Z)")
    }
    return time
}

/// `recur features backfill`: snapshots at as-of times plus the online state, from stored events.
struct BackfillFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Compute feature snapshots at as-of times and refresh every user's online state.",
        discussion: """
            Streams events in user order (never all in memory) on two workers. Re-running replaces the \
            snapshots it covers; an interrupted run resumes after its last committed chunk of users.
            Example: recur features backfill --from 2025-01-05 --to 2025-12-28 --every 7d
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @Option(name: .customLong("as-of"), help: "One as-of time (repeatable).") var asOf: [String] = []
    @Option(help: "First as-of date of a series.") var from: String?
    @Option(help: "Last as-of date of a series (included).") var to: String?
    @Option(help: "Spacing of the series, a duration such as 1d or 7d.") var every = DurationArgument(.days(7))
    @Option(help: ArgumentHelp("Only these users: a file with one user id per line.", valueName: "file")) var users: String?
    @Option(help: "Parallel workers.") var workers = 2
    @Flag(help: "No progress line.") var quiet = false

    func validate() throws {
        guard every.isPositive else { throw ValidationError("--every must be longer than 0") }
    }

    func run() throws {
        let set = try features.resolve()
        var times = try asOf.map { try parseTime($0, option: "--as-of") }
        if from != nil || to != nil {
            guard let from, let to else { throw CLIError.usage("--from and --to go together") }
            let step = every.span
            let start = try parseTime(from, option: "--from"), end = try parseTime(to, option: "--to")
            guard start <= end else { throw CLIError.usage("--from is after --to") }
            times += BackfillPlan.times(from: start, to: end, every: step)
        }
        guard !times.isEmpty else { throw CLIError.usage(BackfillError.noAsOfTimes.description) }
        var plan = BackfillPlan(set: set, asOfTimes: times)
        plan.workers = max(1, workers)
        if let users {
            guard let text = try? String(contentsOfFile: users, encoding: .utf8) else { throw CLIError.usage("cannot read --users file \(users)") }
            plan.users = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let opened = try store.open()
        let bar = quiet ? nil : ProgressBar.forStandardError()
        let backfill = Backfill(plan: plan)
        let reporter = quiet ? nil : BackfillProgress(bar: bar, total: try backfill.eventsToRead(store: opened), started: Date())
        let summary = try backfill.run(store: opened) { users, events in reporter?.update(users: users, events: events) }
        bar?.finish()
        printError(
            """
            backfill \(set.reference): \(summary.users) users, \(summary.events) events, \(summary.snapshots) snapshots at \(plan.asOfTimes.count) as-of times\
            \(summary.resumed ? " (resumed)" : ""), \(Int(summary.eventsPerSecond)) events/s in \(String(format: "%.1f", summary.seconds)) s, \
            state \(Int(summary.meanStateBytes)) bytes/user
            """)
    }
}

/// The backfill's progress against the events it reads: a bar with the share done and the time left
/// on a terminal, a plain line every ten seconds otherwise (logs, pipes, CI). Updates come from the
/// workers' threads, hence the lock.
final class BackfillProgress: @unchecked Sendable {
    private let lock = NSLock()
    private let bar: ProgressBar?
    private let total: Int
    private let started: Date
    private var lastLine = Date()

    init(bar: ProgressBar?, total: Int, started: Date) {
        self.bar = bar
        self.total = total
        self.started = started
    }

    func update(users: Int, events: Int) {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(started)
        let rate = Double(events) / max(0.001, elapsed)
        let fraction = total > 0 ? min(1, Double(events) / Double(total)) : nil
        var detail = "\(users) users, \(events) of \(total) events, \(Int(rate)) events/s"
        if let fraction, fraction > 0.01, rate > 0 { detail += ", " + Self.duration(Double(total - events) / rate) + " left" }
        if let bar {
            bar.update(label: "backfill", fraction: fraction, detail: detail)
        } else if Date().timeIntervalSince(lastLine) >= 10 {
            lastLine = Date()
            let share = fraction.map { String(format: "%.0f%%: ", $0 * 100) } ?? ""
            printError("backfill: \(share)\(detail)")
        }
    }

    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s)s"
    }
}
