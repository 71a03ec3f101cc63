import Foundation
import Kafka
import Postgres

/// `recur stream` over Kafka: a consumer-group member that turns micro-batches of JSON events into
/// events, online states and offsets, one PostgreSQL transaction per batch (see `StreamWriter`).
///
/// Everything runs on the caller's thread: librdkafka serves the rebalance callbacks inside `poll`,
/// so positions, the pending batch and the writer are never touched concurrently.
public final class KafkaStreamBuilder {
    /// How batches are cut and how much is kept in memory.
    public struct Options: Sendable {
        public var topic: String
        public var group = "recur-stream"
        /// A batch is committed when it holds this many messages…
        public var maxBatchMessages = 100_000
        /// …or when its first message has waited this long.
        public var maxBatchSeconds = 0.25
        public var maxUsersInMemory = 200_000
        public var importOptions = ImportOptions()
        /// Refold users with events later than the allowed lateness between batches.
        public var repairsInBackground = true
        /// Write states on a second connection, committed in two phases with the batch, when the server allows it.
        public var statesOnOwnConnection = true
        /// Rollups the store keeps from now on, beside those it keeps already.
        public var rollups = RollupCatalog.builtin()
        /// Stop once the group has stored every partition up to where it ended when first asked (`--exit-at-end`).
        public var stopAtEnd = false

        public init(topic: String) { self.topic = topic }
    }

    private let location: StoreLocation
    private let set: FeatureSet
    private let kafka: KafkaConfiguration
    private let options: Options
    public let metrics: StreamMetrics
    private let log: (String) -> Void
    private let writerName: String

    private var store: Store?
    private var writer: StreamWriter?
    private var modeAnnounced = false
    /// Next offset to read per assigned partition, as PostgreSQL holds it (-2: from the beginning).
    private var positions: [TopicPartition: Int64] = [:]
    private var pending: [TopicPartition: [KafkaMessage]] = [:]
    private var pendingCount = 0
    private var batchDeadline = Date.distantFuture
    private var needsResync = false
    private var stopping: () -> Bool = { false }
    private var backoff = 0.25
    /// Set while `run` is consuming, so the revoke callback can commit the batch in flight.
    private var consumer: Consumer?
    /// The batch PostgreSQL is writing while the next one is read; settled before anything else uses the writer.
    private var inFlight: InFlightCommit?
    /// Each partition's low and high watermark when first asked, for `stopAtEnd`.
    private var ends: [Int32: (low: Int64, high: Int64)]?
    private var reachedEnd = false
    private var assignedOnce = false
    private var offsetsTable: StreamOffsets { StreamOffsets(topic: options.topic, group: options.group) }

    public init(
        location: StoreLocation, set: FeatureSet, kafka: KafkaConfiguration, options: Options, metrics: StreamMetrics = StreamMetrics(),
        log: @escaping (String) -> Void
    ) {
        self.location = location
        self.set = set
        var kafka = kafka
        // A builder that dies is noticed in 10 s rather than Kafka's 45 s, so its partitions move on sooner.
        if kafka["session.timeout.ms"] == nil { kafka.set("session.timeout.ms", "10000") }
        if kafka["heartbeat.interval.ms"] == nil { kafka.set("heartbeat.interval.ms", "1000") }
        // A fetch with nothing new waits at the broker up to this long (Kafka's 500 ms default was half
        // the produce-to-visible time measured against the mock); 100 ms costs a few idle requests a second.
        if kafka["fetch.wait.max.ms"] == nil { kafka.set("fetch.wait.max.ms", "100") }
        self.kafka = kafka
        self.options = options
        self.metrics = metrics
        self.log = log
        writerName = "\(ProcessInfo.processInfo.hostName):\(getpid())"
    }

    /// Consumes until `shouldStop` says so, then commits the batch in flight and leaves the group.
    public func run(shouldStop: @escaping () -> Bool) throws -> StreamMetrics.Totals {
        stopping = shouldStop
        let consumer = try Consumer(
            configuration: kafka, group: options.group,
            onAssign: { [unowned self] in self.assigned($0) },
            onRevoke: { [unowned self] in self.revoked($0, lost: $1) },
            onClientError: { [log] in log("kafka: \($0)") })
        self.consumer = consumer
        defer { self.consumer = nil }
        try consumer.subscribe([options.topic])
        var lastHousekeeping = Date()
        var lastChecks = Date.distantPast
        while true {
            // One clock read per message, and the checks that take locks or allocate only every 10 ms:
            // at tens of thousands of messages a second, doing them per message showed in profiles.
            let now = Date()
            if now.timeIntervalSince(lastChecks) >= 0.01 {
                lastChecks = now
                if shouldStop() || reachedEnd { break }
                if let fatal = consumer.fatalError {
                    settle(consumer)
                    throw StreamError.kafka("\(fatal)")
                }
                // Take in a finished commit now rather than at the next flush: positions, metrics and repairs move on.
                if let inFlight, inFlight.isFinished { settle(consumer) }
            }
            if needsResync {
                resync(consumer)
                continue
            }
            // A batch whose time is up is committed before polling again: after a long pause (SIGSTOP, a
            // stall) this is the commit that the fence refuses if the partitions moved meanwhile. While
            // the batch before is still being written, though, the batch keeps growing instead (up to
            // its size limit): cutting it would only wait, and fewer, larger batches write each user's
            // state fewer times, which is what lets a builder that is behind catch up.
            let due = pendingCount > 0 && now >= batchDeadline
            let writing = inFlight.map { !$0.isFinished } ?? false
            if due && !writing { flush(consumer) }
            let wait = pendingCount == 0 ? 0.1 : due ? 0.005 : max(0, min(0.1, batchDeadline.timeIntervalSince(now)))
            do {
                if let message = try consumer.poll(timeout: wait) { take(message) }
            } catch {
                log("kafka: \(error)")
            }
            if pendingCount >= options.maxBatchMessages { flush(consumer) }
            if now.timeIntervalSince(lastHousekeeping) >= 1 {
                lastHousekeeping = now
                housekeeping(consumer)
            }
        }
        // Finish the batch in flight. If PostgreSQL is down it is not stored, and the next run reads it again.
        let outages = metrics.totals.databaseOutages
        flush(consumer)
        settle(consumer)
        let unstored = metrics.totals.databaseOutages > outages
        consumer.close()
        if unstored {
            throw StreamError.kafka(
                "stopped with the last batch uncommitted because PostgreSQL is unreachable; nothing is lost: the next run reads it again from the stored offsets"
            )
        }
        return metrics.totals
    }

    private func take(_ message: KafkaMessage) {
        let partition = message.topicPartition
        guard let position = positions[partition] else { return }
        // Fetched before a seek, or already committed: the stored offset decides.
        if position >= 0 && message.offset < position { return }
        if let last = pending[partition]?.last, message.offset <= last.offset { return }
        if pendingCount == 0 {
            batchDeadline = Date().addingTimeInterval(options.maxBatchSeconds)
            metrics.readFirstMessage()
        }
        pending[partition, default: []].append(message)
        pendingCount += 1
    }

    /// Decodes the pending messages, waits for the batch before it, and starts committing them.
    private func flush(_ consumer: Consumer) {
        guard pendingCount > 0 else { return }
        var decoder = StreamDecoder(options: options.importOptions, source: "kafka:\(options.topic)")
        var lastOffsets = [(partition: Int32, last: Int64)]()
        for (partition, messages) in pending.sorted(by: { $0.key.partition < $1.key.partition }) {
            guard let last = messages.last else { continue }
            for message in messages { decoder.take(message.value, position: "partition \(partition.partition) offset \(message.offset)") }
            lastOffsets.append((partition.partition, last.offset))
        }
        let records = pendingCount
        clearPending()
        // The fence of this batch starts where the one before ends: that one must be settled first. If it
        // failed, this batch is dropped too, and the resync rereads both from the stored offsets.
        settle(consumer)
        guard !needsResync else { return }
        let ranges = lastOffsets.compactMap { entry -> StreamBatch.PartitionRange? in
            guard let start = positions[TopicPartition(topic: options.topic, partition: entry.partition)] else { return nil }
            return StreamBatch.PartitionRange(partition: entry.partition, start: start, next: entry.last + 1)
        }
        // Every decoded message must be covered by the fence; a partition without a position means the
        // assignment changed under the batch, so it is read again from the stored offsets.
        guard ranges.count == lastOffsets.count else {
            needsResync = true
            return
        }
        var batch = StreamBatch(source: "kafka:\(options.topic)", fence: .offsets(topic: options.topic, group: options.group, partitions: ranges))
        (batch.events, batch.rejected) = decoder.drain()
        batch.records = records
        do {
            let commit = InFlightCommit(batch: batch, ranges: ranges, writer: try connectedWriter())
            inFlight = commit
            commit.start()
        } catch {
            lost(error)
        }
    }

    /// Waits for the batch in flight, if any, and takes in its outcome.
    private func settle(_ consumer: Consumer) {
        guard let commit = inFlight else { return }
        inFlight = nil
        switch commit.wait() {
        case .success(.committed(let result)):
            var advisory = [TopicPartition: Int64]()
            for range in commit.ranges {
                let partition = TopicPartition(topic: options.topic, partition: range.partition)
                if positions[partition] != nil { positions[partition] = range.next }
                advisory[partition] = range.next
            }
            consumer.commitAdvisory(advisory)
            metrics.consumed(commit.records)
            metrics.record(result, records: commit.records, usersInMemory: commit.writer.usersInMemory)
            if result.repairsQueued > 0 && options.repairsInBackground { repair() }
            backoff = 0.25
        case .success(.fenced):
            metrics.refused()
            log("commit refused: a partition's stored offset moved (another builder committed it); rereading offsets from PostgreSQL")
            needsResync = true
        case .success(.alreadyLoaded):
            break
        case .failure(let error):
            lost(error)
        }
    }

    private func clearPending() {
        pending.removeAll(keepingCapacity: true)
        pendingCount = 0
        batchDeadline = .distantFuture
    }

    /// PostgreSQL failed: drop the batch (its offsets were not stored), wait, and resume where the store says.
    private func lost(_ error: Error) {
        metrics.databaseLost()
        log("database: \(error); nothing from this batch was stored; retrying in \(backoff) s and resuming from the stored offsets")
        store = nil
        writer = nil
        clearPending()
        needsResync = true
        Thread.sleep(forTimeInterval: backoff)
        backoff = min(backoff * 2, 5)
    }

    /// Rereads the stored offsets of every assigned partition and seeks there; forgets cached states.
    private func resync(_ consumer: Consumer) {
        settle(consumer)
        do {
            let writer = try connectedWriter()
            let stored = try storedOffsets(Array(positions.keys), connection: writer.connection)
            var seeks = [TopicPartition: StartOffset]()
            for (partition, offset) in stored {
                positions[partition] = offset
                seeks[partition] = offset < 0 ? .beginning : .offset(offset)
            }
            writer.forgetStates()
            clearPending()
            try consumer.seek(seeks)
            needsResync = false
        } catch {
            lost(error)
        }
    }

    private func assigned(_ partitions: [TopicPartition]) -> [StartOffset]? {
        if let consumer { settle(consumer) }
        while !stopping() {
            do {
                let writer = try connectedWriter()
                let stored = try storedOffsets(partitions, connection: writer.connection)
                writer.forgetStates()
                var starts = [StartOffset]()
                for partition in partitions {
                    let offset = stored[partition] ?? -2
                    positions[partition] = offset
                    starts.append(offset < 0 ? .beginning : .offset(offset))
                }
                metrics.assigned()
                assignedOnce = true
                log("assigned \(partitions.map(\.description).sorted().joined(separator: " ")), starting at the offsets stored in PostgreSQL")
                return starts
            } catch {
                lost(error)
                needsResync = false
            }
        }
        return nil
    }

    private func revoked(_ partitions: [TopicPartition], lost: Bool) {
        // Commit what was read before letting go, so the next owner does not read it again. Even for
        // partitions already lost this is safe: if another member has committed past them since, the
        // offset fence refuses the whole batch and nothing is written twice.
        if let consumer {
            if partitions.contains(where: { pending[$0] != nil }) { flush(consumer) }
            settle(consumer)
        }
        for partition in partitions {
            positions[partition] = nil
            if let dropped = pending.removeValue(forKey: partition) { pendingCount -= dropped.count }
        }
        writer?.forgetStates()
        log("\(lost ? "lost" : "revoked") \(partitions.map(\.description).sorted().joined(separator: " "))")
    }

    /// Creates missing offset rows of this group (-2: from the beginning) and reads every one.
    ///
    /// A stored offset past the partition's end means the topic was deleted and created again: its
    /// offsets start over, so the partition is read again from its beginning (events already stored
    /// are deduplicated by id) instead of waiting, silently, for an offset that may never come.
    private func storedOffsets(_ partitions: [TopicPartition], connection c: Connection) throws -> [TopicPartition: Int64] {
        var offsets = [TopicPartition: Int64]()
        for (partition, stored) in try offsetsTable.claim(partitions.map(\.partition), on: c) {
            let topicPartition = TopicPartition(topic: options.topic, partition: partition)
            offsets[topicPartition] = stored
            guard stored > 0, let end = consumer?.queryWatermarks(topicPartition)?.high, stored > end else { continue }
            guard try offsetsTable.restart(partition, from: stored, on: c) else { continue }
            offsets[topicPartition] = -2
            log(
                "\(topicPartition): the offset stored for group \(options.group), \(stored), is past the partition's end (\(end)): the topic was created again; reading it from its beginning"
            )
        }
        return offsets
    }

    private func housekeeping(_ consumer: Consumer) {
        var lag = [Int32: Int64]()
        for (partition, position) in positions {
            if let high = consumer.highWatermark(partition) { lag[partition.partition] = max(0, high - max(0, position)) }
        }
        metrics.setLag(Dictionary(uniqueKeysWithValues: lag.map { (String($0.key), $0.value) }))
        // The writer belongs to the commit in flight until it is settled.
        guard inFlight == nil else { return }
        metrics.setUsersInMemory(writer?.usersInMemory ?? 0)
        if let writer, writer.isOpen {
            _ = try? StreamStatus.record(writer: writerName, topic: options.topic, lag: lag, committed: metrics.committedEvents, on: writer.connection)
        }
        if options.repairsInBackground, writer != nil { repair() }
        // Judged only after an assignment: that is when offsets left past a partition's end start over.
        if options.stopAtEnd && !reachedEnd && assignedOnce { reachedEnd = groupReachedEnd(consumer) }
    }

    /// Whether the group's stored offsets have reached every partition's end as it stood when first
    /// asked: judged from PostgreSQL, so builders sharing the group stop together, after the last commit.
    private func groupReachedEnd(_ consumer: Consumer) -> Bool {
        if ends == nil, let partitions = consumer.partitions(of: options.topic) {
            var found = [Int32: (low: Int64, high: Int64)]()
            for partition in partitions {
                guard let marks = consumer.queryWatermarks(partition, timeout: 2) else { return false }
                found[partition.partition] = marks
            }
            ends = found
            log("reading \(options.topic) to its end: \(found.values.reduce(0) { $0 + max(0, $1.high - $1.low) }) messages in \(found.count) partitions")
        }
        guard let ends, let stored = try? offsetsTable.all(on: connectedWriter().connection) else { return false }
        return ends.allSatisfy { partition, marks in marks.high <= marks.low || (stored[partition] ?? -2) >= marks.high }
    }

    /// Refolds a bounded number of queued users; the stream goes on between passes.
    private func repair() {
        guard let writer else { return }
        do {
            let repaired = try FeatureRepair(set: set).runOnce(connection: writer.connection, limit: 500)
            writer.forget(repaired)
        } catch let error as PostgresError where error.isConnectionLoss {
            lost(error)
        } catch {
            log("repair: \(error)")
        }
    }

    private func connectedWriter() throws -> StreamWriter {
        if let writer, writer.isOpen { return writer }
        let (store, writer) = try StreamWriter.open(
            location, ownStatesConnection: options.statesOnOwnConnection, set: set, writerName: writerName, maxUsersInMemory: options.maxUsersInMemory,
            rollups: options.rollups, log: log)
        if !modeAnnounced {
            log("writing " + writer.modeDescription)
            modeAnnounced = true
        }
        self.store = store
        self.writer = writer
        return writer
    }
}
