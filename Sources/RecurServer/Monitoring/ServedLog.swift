import Atomics
import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import RecurCore

/// `--log-sample`: keeps one answer in every `1/rate` (with its feature vector) and writes them to
/// `served_log` from a thread of its own. The request path only counts and, for a sampled answer,
/// appends to a bounded queue; when the queue is full (the database slow or away) answers are
/// dropped and counted, never waited for.
public final class ServedLog: @unchecked Sendable {
    /// Answers held while the writer is behind; about 100 MB at 45 features.
    public static let capacity = 200_000
    private let every: UInt64
    private let counter = ManagedAtomic<UInt64>(0)
    private let queue = NIOLockedValueBox<[ServedAnswer]>([])
    private let droppedCount = ManagedAtomic(0)
    private let writtenCount = ManagedAtomic(0)
    private let stopped = ManagedAtomic(false)
    private let location: StoreLocation
    private let logger: Logger

    /// `rate` in (0, 1]: 0.01 keeps every hundredth answer.
    public init(rate: Double, location: StoreLocation, logger: Logger) {
        every = UInt64(max(1, (1 / rate).rounded()))
        self.location = location
        self.logger = logger
    }

    /// Whether this answer is one to keep: a counter, so the sample is exact and costs one atomic add.
    func shouldSample() -> Bool { counter.loadThenWrappingIncrement(ordering: .relaxed) % every == 0 }

    func offer(_ answer: ServedAnswer) {
        let kept = queue.withLockedValue { queue -> Bool in
            guard queue.count < Self.capacity else { return false }
            queue.append(answer)
            return true
        }
        if !kept { droppedCount.wrappingIncrement(ordering: .relaxed) }
    }

    public var dropped: Int { droppedCount.load(ordering: .relaxed) }
    public var written: Int { writtenCount.load(ordering: .relaxed) }
    public var pending: Int { queue.withLockedValue { $0.count } }

    public func start() {
        let thread = Thread { [self] in run() }
        thread.name = "recur-served-log"
        thread.start()
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }

    /// Writes what is queued now; what fails stays queued for the next pass (bounded as above).
    public func flush(on connection: Connection) throws {
        let batch = queue.withLockedValue { queue -> [ServedAnswer] in
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        do {
            try ServedAnswers.append(batch, on: connection)
            writtenCount.wrappingIncrement(by: batch.count, ordering: .relaxed)
        } catch {
            queue.withLockedValue { queue in
                let room = max(0, Self.capacity - queue.count)
                queue.insert(contentsOf: batch.prefix(room), at: 0)
                if batch.count > room { droppedCount.wrappingIncrement(by: batch.count - room, ordering: .relaxed) }
            }
            throw error
        }
    }

    private func run() {
        var store: Store?
        while !stopped.load(ordering: .relaxed) {
            Thread.sleep(forTimeInterval: 0.2)
            guard pending > 0 else { continue }
            do {
                if store == nil || store?.connection.isOpen != true { store = try Store.open(location, migrate: false) }
                try flush(on: store!.connection)
            } catch {
                store = nil
                logger.warning("served log: cannot write; answers wait in memory", metadata: ["error": "\(error)", "pending": "\(pending)"])
                Thread.sleep(forTimeInterval: 1)
            }
        }
        // Stopping: what is queued is written before the process goes.
        if pending > 0, let connection = store?.connection ?? (try? Store.open(location, migrate: false))?.connection {
            try? flush(on: connection)
        }
    }
}
