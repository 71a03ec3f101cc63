import ArgumentParser
import Foundation
import Kafka
import RecurCore

/// `recur events produce`: generated events, or the rows of files, onto a Kafka topic as JSON keyed by user id.
struct ProduceEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce",
        abstract: "Publish generated events (or the rows of files) to Kafka as JSON, keyed by user id.",
        discussion: """
            Without files, publishes the generator's events (the same seed gives the same events), optionally \
            with late (30-60 min), duplicated and malformed messages. With files, reads them as `events import` \
            does (format, mapping, event map) and publishes every valid row. Waits for every delivery report; \
            exits non-zero if any message could not be delivered.
            Example: recur events produce --brokers 127.0.0.1:9092 --topic events --users 1000 --late 2 --duplicates 1
            """
    )

    @OptionGroup var kafka: KafkaOptions
    @Option(help: "Topic to publish to.") var topic: String
    @Argument(help: ArgumentHelp("Files to publish instead of generated events.", valueName: "file")) var files: [String] = []
    @OptionGroup var input: InputMappingOptions
    @OptionGroup var generator: GeneratorOptions
    @Option(help: "Messages per second (0: as fast as possible).") var rate: Double = 0
    @Option(help: "Percent of generated events sent 30-60 minutes (event time) after their place.") var late: Double = 0
    @Option(help: "Percent of generated events sent twice.") var duplicates: Double = 0
    @Option(help: "Percent extra messages that are malformed (bad JSON, missing fields, unknown types, invalid UTF-8, empty).") var malformed: Double = 0
    @Flag(help: "No progress line.") var quiet = false

    func run() throws {
        guard (0...100).contains(late), (0...100).contains(duplicates), (0...100).contains(malformed), rate >= 0 else {
            throw CLIError.usage("--late, --duplicates and --malformed are percentages from 0 to 100; --rate must be >= 0")
        }
        // Locals: an option's wrapped value is slow to read, and these are read for every message.
        let (topic, rate, late, duplicates, malformed) = (self.topic, self.rate, self.late, self.duplicates, self.malformed)
        var configuration = try kafka.configuration()
        // Throughput defaults; any -X given wins.
        for (key, value) in [
            ("linger.ms", "5"), ("batch.num.messages", "10000"), ("queue.buffering.max.messages", "1000000"),
            ("compression.codec", "lz4")
        ] where configuration[key] == nil {
            configuration.set(key, value)
        }
        let errors = ClientErrors()
        let producer = try Producer(configuration: configuration) { errors.note($0) }
        let bar = quiet ? nil : ProgressBar.forStandardError()
        var sent = 0, lateSent = 0, duplicated = 0, malformedSent = 0
        let started = Date()
        // SIGINT/SIGTERM stop the sending; what was sent is still waited for and reported.
        let stop = StopRequest.onSignals()
        struct Stopped: Error {}
        func send(key: [UInt8]?, value: [UInt8]) throws {
            if stop.isRequested { throw Stopped() }
            if rate > 0 {
                let due = started.addingTimeInterval(Double(sent) / rate)
                let wait = due.timeIntervalSinceNow
                if wait > 0.002 { producer.poll(timeout: wait) }
            }
            try producer.produce(topic: topic, key: key, value: value)
            sent += 1
            if sent % 2048 == 0 {
                producer.poll()
                bar?.update(
                    label: "produce", fraction: nil, detail: "\(sent) messages, \(Int(Double(sent) / max(0.001, Date().timeIntervalSince(started)))) msg/s")
            }
        }
        var random = SeededRandom(seed: generator.seed ^ 0x5EED)
        do {
            if files.isEmpty {
                let options = try generator.options()
                var rows = EventGenerator(options: options).rows()
                let writer = GeneratedEventWriter(format: .jsonl, seed: generator.seed)
                var lateRows = Set<Int64>()
                var extra = [EventGenerator.Row]()
                for index in rows.indices {
                    if late > 0, random.unit() * 100 < late {
                        rows[index].emitAt = rows[index].timestamp + Int64((30 + random.unit() * 30) * 60_000_000)
                        lateRows.insert(rows[index].serial)
                    }
                    if duplicates > 0, random.unit() * 100 < duplicates {
                        var copy = rows[index]
                        copy.emitAt += Int64(random.unit() * 600_000_000)
                        extra.append(copy)
                    }
                }
                duplicated = extra.count
                rows += extra
                rows.sort { ($0.emitAt, $0.serial) < ($1.emitAt, $1.serial) }
                var key = [UInt8]()
                for row in rows {
                    if !lateRows.isEmpty, lateRows.contains(row.serial) { lateSent += 1 }
                    key.removeAll(keepingCapacity: true)
                    GeneratedEventWriter.userID(row.user, into: &key)
                    try send(key: key, value: writer.jsonRecord(row))
                    if malformed > 0, random.unit() * 100 < malformed {
                        try send(key: key, value: MalformedMessages.pick(&random, user: EventGenerator.userID(row.user)))
                        malformedSent += 1
                    }
                }
            } else {
                let options = try input.importOptions()
                for file in files {
                    let summary = try EventImporter(options: options).events(path: file) { batch in
                        for event in batch { try send(key: Array(event.userID.utf8), value: EventJSON.encode(event)) }
                    }
                    if summary.rejected > 0 {
                        printError("\(file): \(summary.rejected) rows not valid events were not published (recur events import shows why)")
                    }
                }
            }
        } catch is Stopped {
            printError("produce: stopped by a signal after \(sent) messages")
        }
        bar?.update(label: "produce", fraction: nil, detail: "\(sent) messages sent, waiting for delivery reports")
        let queued = producer.flush(timeout: 60)
        bar?.finish()
        let seconds = Date().timeIntervalSince(started)
        printError(
            """
            produced \(sent) messages to \(topic) (\(lateSent) late, \(duplicated) duplicated, \(malformedSent) malformed) \
            in \(String(format: "%.2f", seconds)) s, \(Int(Double(sent) / max(seconds, 0.001))) msg/s; \
            delivered \(producer.delivered), failed \(producer.failed + queued)
            """)
        if let failure = producer.firstFailure { printError("  first failure: \(failure)") }
        if let error = errors.first { printError("  kafka: \(error)") }
        if producer.failed > 0 || queued > 0 || producer.delivered < sent { throw ExitCode.failure }
    }
}

/// The first few client errors librdkafka reported (brokers down, timeouts), for the summary.
final class ClientErrors: @unchecked Sendable {
    private let lock = NSLock()
    private var seen: [String] = []
    func note(_ text: String) { lock.withLock { if seen.count < 5 { seen.append(text) } } }
    var first: String? { lock.withLock { seen.first } }
}

/// Messages a careless producer sends, for testing that the stream accounts for every one.
enum MalformedMessages {
    static func pick(_ random: inout SeededRandom, user: String) -> [UInt8] {
        switch random.below(8) {
        case 0: return Array("{\"user_id\": \"\(user)\", \"ts\": ".utf8)
        case 1: return Array("{\"ts\":\"2025-03-01T10:00:00Z\",\"event_type\":\"view\"}".utf8)
        case 2: return Array("{\"user_id\":\"\(user)\",\"ts\":\"yesterday\",\"event_type\":\"view\"}".utf8)
        case 3: return Array("{\"user_id\":\"\(user)\",\"ts\":\"2025-03-01T10:00:00Z\",\"event_type\":\"teleport\"}".utf8)
        case 4: return [0x7B, 0x22, 0x75, 0xFF, 0xFE, 0x22, 0x7D]
        case 5: return []
        case 6: return Array("{\"user_id\":null,\"ts\":\"2025-03-01T10:00:00Z\",\"event_type\":\"view\"}".utf8)
        default: return Array("{\"user_id\":\"\(user)\",\"ts\":\"2025-03-01T10:00:00Z\",\"event_type\":\"purchase\",\"amount\":\"lots\"}".utf8)
        }
    }
}
