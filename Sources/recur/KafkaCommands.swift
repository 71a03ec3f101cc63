import ArgumentParser
import Dispatch
import Foundation
import Kafka

/// `recur kafka …`: Kafka's embedded default, as the private PostgreSQL cluster is the database's.
struct KafkaCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kafka",
        abstract: "Run a local Kafka (librdkafka's mock cluster) for tests, demos and trying things out.",
        subcommands: [KafkaMock.self]
    )
}

/// Where Kafka is and how to talk to it: shared by produce and stream.
struct KafkaOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Kafka bootstrap servers, host:port,… (default: $KAFKA_BROKERS).", valueName: "brokers"))
    var brokers: String?
    @Option(
        name: .customShort("X"),
        help: ArgumentHelp(
            "Any librdkafka property, e.g. -X security.protocol=SASL_SSL -X sasl.password=… (repeatable; secret values are never printed).",
            valueName: "key=value"))
    var properties: [String] = []

    var resolvedBrokers: String? { brokers ?? ProcessInfo.processInfo.environment["KAFKA_BROKERS"].flatMap { $0.isEmpty ? nil : $0 } }

    func configuration() throws -> KafkaConfiguration {
        var configuration = KafkaConfiguration(brokers: resolvedBrokers)
        for property in properties {
            do { try configuration.set(assignment: property) } catch { throw CLIError.usage("\(error)") }
        }
        guard configuration["bootstrap.servers"] != nil || configuration["metadata.broker.list"] != nil else {
            throw CLIError.usage("no Kafka brokers: give --brokers HOST:PORT or set KAFKA_BROKERS (recur kafka mock starts a local one)")
        }
        return configuration
    }
}

/// Set from a signal handler, read by a loop: SIGINT/SIGTERM ask for a clean stop.
final class StopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    var isRequested: Bool { lock.withLock { requested } }
    func request() { lock.withLock { requested = true } }

    /// Catches SIGINT and SIGTERM from now on; `then` runs once per signal, off the main thread.
    static func onSignals(then: @escaping @Sendable () -> Void = {}) -> StopRequest {
        let stop = StopRequest()
        signal(SIGINT, SIG_IGN)
        signal(SIGTERM, SIG_IGN)
        stop.sources = [SIGINT, SIGTERM].map { number in
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                stop.request(); then()
            }
            source.resume()
            return source
        }
        return stop
    }
}

/// `recur kafka mock`: a mock cluster in the foreground.
struct KafkaMock: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mock",
        abstract: "Run librdkafka's mock Kafka cluster in the foreground and print its bootstrap address.",
        discussion: """
            Any Kafka client (kcat, confluent-kafka, recur events produce, recur stream) can use the printed \
            address for as long as this runs. Each mock partition keeps only about 5 MiB, so large loads want \
            many partitions (or compression). Stop it with Ctrl-C.
            Example: recur kafka mock --partitions 6 --topic events
            """
    )

    @Option(help: "Partitions of each topic created at start.") var partitions = 6
    @Option(help: "Topic to create at start (repeatable); clients may create others by using them.") var topic: [String] = ["events"]
    @Option(name: .customLong("broker-count"), help: "Mock brokers in the cluster.") var brokerCount = 1
    @Flag(
        help: """
            Read faults to inject from stdin, one per line: `down ID` / `up ID` (a broker, -1 for all),             `fail REQUEST N` (the next N produce, fetch, metadata, commit or heartbeat requests drop their connection).
            """)
    var control = false

    func run() throws {
        guard partitions > 0, brokerCount > 0 else { throw CLIError.usage("--partitions and --broker-count must be positive") }
        let cluster = try MockCluster(brokers: brokerCount)
        for name in topic { try cluster.createTopic(name, partitions: partitions) }
        let stop = DispatchSemaphore(value: 0)
        let request = StopRequest.onSignals { stop.signal() }
        FileHandle.standardOutput.write(Data((cluster.bootstrapServers + "\n").utf8))
        printError("mock Kafka cluster at \(cluster.bootstrapServers): topic \(topic.joined(separator: ", ")) with \(partitions) partitions; Ctrl-C stops it")
        if control {
            let faults = Thread {
                while let line = readLine() {
                    do { printError("mock Kafka cluster: \(try MockFault(parsing: line).apply(to: cluster))") } catch {
                        printError("mock Kafka cluster: \(error)")
                    }
                }
            }
            faults.start()
        }
        stop.wait()
        withExtendedLifetime((cluster, request)) {}
        printError("mock Kafka cluster stopped")
    }
}

/// One line of `recur kafka mock --control`.
struct MockFault {
    enum Action {
        case broker(Int32, up: Bool)
        case fail(MockCluster.Request, Int)
    }

    let action: Action

    init(parsing line: String) throws {
        let words = line.split(separator: " ").map(String.init)
        switch (words.first, words.count) {
        case ("down", 2), ("up", 2):
            guard let id = Int32(words[1]) else { throw CLIError.usage("`\(line)`: a broker id is a number (1, 2, …, or -1 for all)") }
            action = .broker(id, up: words[0] == "up")
        case ("fail", 3):
            guard let request = MockCluster.Request(rawValue: words[1]), let count = Int(words[2]), count > 0 else {
                let known = MockCluster.Request.allCases.map(\.rawValue).joined(separator: ", ")
                throw CLIError.usage("`\(line)`: expected fail REQUEST N with REQUEST one of \(known) and N > 0")
            }
            action = .fail(request, count)
        default:
            throw CLIError.usage("`\(line)`: expected `down ID`, `up ID` or `fail REQUEST N`")
        }
    }

    /// Applies the fault and says what it did.
    func apply(to cluster: MockCluster) throws -> String {
        switch action {
        case .broker(let id, let up):
            try cluster.setBroker(id, up: up)
            return "broker \(id) \(up ? "up" : "down")"
        case .fail(let request, let count):
            cluster.fail(request, count: count)
            return "the next \(count) \(request.rawValue) requests fail"
        }
    }
}
