import Dispatch
import Synchronization

/// One batch being committed on a background thread, so that the builder reads and decodes the next
/// batch while PostgreSQL writes this one (on two cores that overlap is most of the throughput).
///
/// The writer is handed over for the length of the commit: the builder does not touch it, its cache
/// or its connection again until `wait()` has returned. That is why this type may be `@unchecked
/// Sendable`: nothing in it is shared while the commit runs.
final class InFlightCommit: @unchecked Sendable {
    let ranges: [StreamBatch.PartitionRange]
    let records: Int
    let writer: StreamWriter
    private let batch: StreamBatch
    private let done = DispatchSemaphore(value: 0)
    private var outcome: Result<StreamCommitOutcome, Error>?
    private let finished = Atomic<Bool>(false)
    private static let queue = DispatchQueue(label: "recur.stream.commit")

    init(batch: StreamBatch, ranges: [StreamBatch.PartitionRange], writer: StreamWriter) {
        self.batch = batch
        self.ranges = ranges
        self.records = batch.records
        self.writer = writer
    }

    func start() {
        Self.queue.async { [self] in
            outcome = Result { try writer.commit(batch) }
            finished.store(true, ordering: .releasing)
            done.signal()
        }
    }

    /// Whether `wait()` would return at once; cheap enough to ask for every message.
    var isFinished: Bool { finished.load(ordering: .acquiring) }

    /// Blocks until the commit has finished; returns what it did.
    func wait() -> Result<StreamCommitOutcome, Error> {
        done.wait()
        done.signal()
        return outcome!
    }
}
