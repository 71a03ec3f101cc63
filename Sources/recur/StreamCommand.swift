import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import RecurCore
import RecurServer

/// `recur stream`: the streaming feature builder, from Kafka or a watched folder.
struct StreamCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stream",
        abstract: "Build features continuously from a Kafka topic (or a watched folder), exactly once.",
        discussion: """
            Each micro-batch commits atomically: the new events (deduplicated by id), the touched users' \
            online states, the batch's rejected messages and each partition's next offset (events and \
            states are written on two connections at once and committed in two phases). \
            On assignment the builder starts from the offsets stored in PostgreSQL; a batch commits only if \
            those offsets are still where it began, so a builder that lost its partitions cannot write twice. \
            SIGINT/SIGTERM commit the batch in flight and exit 0. See docs/streaming.md.
            Examples: recur stream --brokers 127.0.0.1:9092 --topic events --group recur
                      recur stream --dir input/ --archive done/
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @OptionGroup var kafka: KafkaSourceOptions
    @Option(help: ArgumentHelp("Watch this folder instead of Kafka: each new file is loaded exactly once.", valueName: "dir")) var dir: String?
    @Option(help: ArgumentHelp("Move loaded files here (default: leave them, remembered by checksum).", valueName: "dir")) var archive: String?
    @Option(help: "A file is read once its size has not changed for this long, e.g. 1s.") var settle = DurationArgument(.seconds(1))
    @OptionGroup var input: InputMappingOptions
    @Option(name: .customLong("batch-size"), help: "Commit a batch at this many messages…") var batchSize = 100_000
    @Option(name: .customLong("batch-wait"), help: "…or when its first message has waited this long, e.g. 500ms.") var batchWait = DurationArgument(
        TimeSpan(microseconds: 250_000))
    @Option(name: .customLong("max-users-in-memory"), help: "User states kept between batches; others are reloaded when needed.") var maxUsersInMemory = 200_000
    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics on 127.0.0.1:PORT.") var metricsPort: Int?
    @Option(
        name: .customLong("exit-when-idle"),
        help: ArgumentHelp("Stop (exit 0) after nothing arrived for this long, e.g. 10s (for scripts).", valueName: "duration"))
    var exitWhenIdle: DurationArgument?
    @Flag(
        name: .customLong("exit-at-end"),
        help: "Stop (exit 0) once the group has stored every partition up to where the topic ended when the builder started (Kafka only).")
    var exitAtEnd = false
    @Flag(name: .customLong("no-repair"), help: "Leave refolds of users with very late events to `recur features repair`.") var noRepair = false
    @Flag(
        name: .customLong("single-transaction"),
        help: "Write events and states in one transaction on one connection (what happens anyway when the server's max_prepared_transactions is 0).")
    var singleTransaction = false
    @Flag(help: "No progress lines.") var quiet = false

    func validate() throws {
        guard batchWait.isPositive else { throw ValidationError("--batch-wait must be longer than 0") }
        if exitAtEnd && dir != nil {
            throw ValidationError("--exit-at-end reads a Kafka topic to its end; a watched folder has none (use --exit-when-idle)")
        }
    }

    func run() throws {
        let set = try features.resolve()
        let rollups = try RollupCatalog.load(directory: features.folder, features: try features.catalog())
        let wait = batchWait.span
        let idleLimit = exitWhenIdle?.seconds
        guard batchSize > 0, maxUsersInMemory > 0 else { throw CLIError.usage("--batch-size and --max-users-in-memory must be positive") }
        var importOptions = try input.importOptions()
        importOptions.batchSize = batchSize
        let metrics = StreamMetrics()
        let stop = StopRequest.onSignals { printError("stream: stopping after the batch in flight") }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        if let metricsPort {
            let channel = try MetricsEndpoint.bind(group: group, host: "127.0.0.1", port: metricsPort) { metrics.prometheusText() }
            printError("stream: metrics on http://127.0.0.1:\(channel.localAddress?.port ?? metricsPort)/metrics")
        }
        let log: (String) -> Void = { line in printError("stream: \(line)") }
        let reporter = StreamReporter(metrics: metrics, quiet: quiet, idleLimit: idleLimit)
        let shouldStop: () -> Bool = { stop.isRequested || reporter.idleTooLong() }
        let totals: StreamMetrics.Totals
        if let dir {
            var options = FolderStreamBuilder.Options(directory: dir)
            options.archive = archive
            options.settleSeconds = settle.seconds
            options.importOptions = importOptions
            options.maxUsersInMemory = maxUsersInMemory
            options.statesOnOwnConnection = !singleTransaction
            options.rollups = rollups
            let builder = FolderStreamBuilder(location: store.location, set: set, options: options, metrics: metrics, log: log)
            printError("stream: watching \(dir) for \(set.reference)\(archive.map { ", archiving to \($0)" } ?? "")")
            totals = try reporter.running { try builder.run(shouldStop: shouldStop) }
        } else {
            guard let topic = kafka.topic else { throw CLIError.usage(StreamError.noTopic.description) }
            var options = KafkaStreamBuilder.Options(topic: topic)
            options.group = kafka.group
            options.maxBatchMessages = batchSize
            options.maxBatchSeconds = Double(wait.microseconds) / 1e6
            options.maxUsersInMemory = maxUsersInMemory
            options.importOptions = importOptions
            options.repairsInBackground = !noRepair
            options.statesOnOwnConnection = !singleTransaction
            options.rollups = rollups
            options.stopAtEnd = exitAtEnd
            let configuration = try kafka.kafka.configuration()
            let builder = KafkaStreamBuilder(location: store.location, set: set, kafka: configuration, options: options, metrics: metrics, log: log)
            printError("stream: \(topic) (group \(kafka.group)) into \(store.location.displayName) for \(set.reference)")
            do {
                totals = try reporter.running { try builder.run(shouldStop: shouldStop) }
            } catch let error as StreamError {
                throw CLIError.failed("stream: \(error)")
            }
        }
        printError(
            """
            stream: stopped; \(totals.consumed) read, \(totals.committed) events committed, \(totals.duplicates) duplicates, \
            \(totals.late) late, \(totals.rejected) rejected in \(totals.batches) batches; \
            \(Int(totals.sustainedRate)) events/s over \(String(format: "%.1f", totals.busySeconds)) s busy; commit p50 \
            \(String(format: "%.1f", totals.commitP50 * 1000)) ms, p99 \(String(format: "%.1f", totals.commitP99 * 1000)) ms\
            \(totals.refusedCommits > 0 ? "; \(totals.refusedCommits) commits refused by the offset fence" : "")
            """)
    }
}

/// The Kafka side of `recur stream`.
struct KafkaSourceOptions: ParsableArguments {
    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Topic to consume.") var topic: String?
    @Option(help: "Consumer group; builders in one group split the partitions.") var group = "recur-stream"
}

/// Prints a progress line every few seconds and notices when the stream has gone quiet.
final class StreamReporter: @unchecked Sendable {
    private let metrics: StreamMetrics
    private let quiet: Bool
    private let idleLimit: Double?
    private let lock = NSLock()
    private var lastConsumed = 0
    private var lastChange = Date()
    private var finished = false

    init(metrics: StreamMetrics, quiet: Bool, idleLimit: Double?) {
        self.metrics = metrics
        self.quiet = quiet
        self.idleLimit = idleLimit
    }

    func idleTooLong() -> Bool {
        guard let idleLimit else { return false }
        let consumed = metrics.activity
        return lock.withLock {
            if consumed != lastConsumed { lastConsumed = consumed; lastChange = Date() }
            // Joining a group takes seconds: before the first assignment, wait at least a minute.
            return Date().timeIntervalSince(lastChange) > (consumed == 0 ? max(idleLimit, 60) : idleLimit)
        }
    }

    func running<T>(_ body: () throws -> T) rethrows -> T {
        let thread = Thread { [self] in
            var previous = 0
            var previousTime = Date()
            while !lock.withLock({ finished }) {
                Thread.sleep(forTimeInterval: 0.25)
                guard !quiet, Date().timeIntervalSince(previousTime) >= 5 else { continue }
                let t = metrics.totals
                let rate = Double(t.committed - previous) / Date().timeIntervalSince(previousTime)
                previous = t.committed
                previousTime = Date()
                printError("stream: \(t.committed) events committed (\(Int(rate))/s), \(t.duplicates) duplicates, \(t.late) late, \(t.rejected) rejected")
            }
        }
        thread.start()
        defer { lock.withLock { finished = true } }
        return try body()
    }
}
