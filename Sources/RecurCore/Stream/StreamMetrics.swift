import Foundation

/// The stream's counters and histograms, rendered as Prometheus text for `--metrics-port`.
///
/// Written by the builder's thread once per batch and read by scrapes, behind one lock.
public final class StreamMetrics: @unchecked Sendable {
    private let lock = NSLock()
    private var consumed = 0
    private var committed = 0
    private var duplicates = 0
    private var late = 0
    private var rejected = 0
    private var batches = 0
    private var refusedCommits = 0
    private var assignments = 0
    private var databaseOutages = 0
    private var newestEvent: Timestamp?
    private var usersInMemory = 0
    private var lag: [String: Int64] = [:]
    private var batchSizes = Histogram(bounds: [10, 100, 1_000, 5_000, 10_000, 25_000, 50_000, 100_000, 250_000])
    private var commitSeconds = Histogram(bounds: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10])
    /// Commit latencies kept for percentiles in the run's summary (bounded).
    private var latencies: [Double] = []
    /// From the first message read to the last commit: the time the builder was busy, for sustained rates.
    private var firstRead: Date?
    private var lastCommit: Date?

    public init() {}

    func consumed(_ count: Int) { lock.withLock { consumed += count } }
    func assigned() { lock.withLock { assignments += 1 } }
    func readFirstMessage() { lock.withLock { if firstRead == nil { firstRead = Date() } } }

    func record(_ result: StreamCommitResult, records: Int, usersInMemory users: Int) {
        lock.withLock {
            committed += result.inserted
            duplicates += result.duplicates
            late += result.late
            rejected += result.rejected
            batches += 1
            lastCommit = max(lastCommit ?? result.committedAt, result.committedAt)
            usersInMemory = users
            if let newest = result.newestEvent { newestEvent = max(newestEvent ?? newest, newest) }
            batchSizes.observe(Double(records))
            commitSeconds.observe(result.seconds)
            if latencies.count < 1_000_000 { latencies.append(result.seconds) }
        }
    }

    func refused() { lock.withLock { refusedCommits += 1 } }
    func databaseLost() { lock.withLock { databaseOutages += 1 } }
    func setLag(_ values: [String: Int64]) { lock.withLock { lag = values } }
    func setUsersInMemory(_ users: Int) { lock.withLock { usersInMemory = users } }

    /// New events committed so far (cheaper than `totals`, which sorts the latencies).
    var committedEvents: Int { lock.withLock { committed } }

    /// Messages consumed plus assignments received: cheap, for noticing whether anything happened.
    public var activity: Int { lock.withLock { consumed + assignments } }

    /// Totals so far, for summaries and tests.
    public struct Totals: Sendable {
        public var consumed, committed, duplicates, late, rejected, batches, refusedCommits, databaseOutages: Int
        /// Partition assignments received (a new one counts as activity for `--exit-when-idle`).
        public var assignments: Int
        public var commitP50: Double, commitP99: Double
        /// Seconds from the first message read to the last commit.
        public var busySeconds: Double
        /// Events committed per busy second.
        public var sustainedRate: Double { busySeconds > 0 ? Double(committed) / busySeconds : 0 }
    }

    public var totals: Totals {
        lock.withLock {
            let sorted = latencies.sorted()
            func quantile(_ q: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
            return Totals(
                consumed: consumed, committed: committed, duplicates: duplicates, late: late, rejected: rejected, batches: batches,
                refusedCommits: refusedCommits, databaseOutages: databaseOutages, assignments: assignments, commitP50: quantile(0.5), commitP99: quantile(0.99),
                busySeconds: firstRead.flatMap { first in lastCommit.map { $0.timeIntervalSince(first) } } ?? 0)
        }
    }

    public func prometheusText(now: Timestamp = .now) -> String {
        lock.withLock {
            var out = ""
            func counter(_ name: String, _ help: String, _ value: Int) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) counter\n\(name) \(value)\n"
            }
            func gauge(_ name: String, _ help: String, _ value: Double) {
                out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n\(name) \(value)\n"
            }
            counter("recur_stream_messages_consumed_total", "Messages (or file rows) read from the source.", consumed)
            counter("recur_stream_events_committed_total", "New events committed to PostgreSQL.", committed)
            counter("recur_stream_duplicates_total", "Events whose id was already stored or repeated in a batch.", duplicates)
            counter("recur_stream_late_events_total", "Events later than the allowed lateness (stored; users refolded).", late)
            counter("recur_stream_rejected_total", "Messages that went to rejected_events.", rejected)
            counter("recur_stream_batches_total", "Batches committed.", batches)
            counter("recur_stream_refused_commits_total", "Batches refused by the offset fence (partition owned elsewhere).", refusedCommits)
            counter("recur_stream_database_outages_total", "Times PostgreSQL went away and the stream waited for it.", databaseOutages)
            gauge("recur_stream_users_in_memory", "User states held in memory.", Double(usersInMemory))
            let freshness = newestEvent.map { Double((now - $0).microseconds) / 1e6 } ?? -1
            gauge("recur_stream_feature_freshness_seconds", "Now minus the newest committed event time.", freshness)
            out += "# HELP recur_stream_lag_messages Messages behind the partition's end.\n# TYPE recur_stream_lag_messages gauge\n"
            for (partition, value) in lag.sorted(by: { $0.key < $1.key }) {
                out += "recur_stream_lag_messages{partition=\"\(partition)\"} \(value)\n"
            }
            out += batchSizes.text(name: "recur_stream_batch_size", help: "Records per committed batch.")
            out += commitSeconds.text(name: "recur_stream_commit_seconds", help: "Time to commit one batch.")
            return out
        }
    }

    struct Histogram {
        let bounds: [Double]
        var counts: [Int]
        var sum = 0.0
        var total = 0

        init(bounds: [Double]) {
            self.bounds = bounds
            counts = [Int](repeating: 0, count: bounds.count)
        }

        mutating func observe(_ value: Double) {
            for (index, bound) in bounds.enumerated() where value <= bound { counts[index] += 1 }
            sum += value
            total += 1
        }

        func text(name: String, help: String) -> String {
            var out = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
            for (bound, count) in zip(bounds, counts) { out += "\(name)_bucket{le=\"\(bound)\"} \(count)\n" }
            out += "\(name)_bucket{le=\"+Inf\"} \(total)\n\(name)_sum \(sum)\n\(name)_count \(total)\n"
            return out
        }
    }
}
