import Foundation

/// Runs the loader on its own thread so that parsing the next batch overlaps PostgreSQL storing this one.
///
/// At most two batches wait in the queue, so memory stays bounded however large the file.
final class LoadPipeline: @unchecked Sendable {
    typealias Batch = (events: [Event], rejected: [EventLoader.RejectedRow])

    // All mutable state is guarded by `condition`; the loader is touched only by the writer thread.
    private let condition = NSCondition()
    private var queue: [Batch] = []
    private var closed = false
    private var finished = false
    private var inserted = 0
    private var loadedBatches = 0
    private var failure: Error?
    private let loader: EventLoader
    private let capacity = 2

    init(loader: EventLoader) {
        self.loader = loader
        let thread = Thread { [self] in self.drain() }
        thread.name = "recur-import-writer"
        thread.start()
    }

    /// Queues a batch; throws the writer's error if it has failed, so the reader stops early.
    func submit(_ batch: Batch) throws {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= capacity && failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(batch)
        condition.broadcast()
    }

    /// Waits for every queued batch; returns how many events were new in all of them.
    func finish() throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !finished { condition.wait() }
        if let failure { throw failure }
        return inserted
    }

    /// Events inserted so far, for progress.
    var insertedSoFar: Int {
        condition.lock()
        defer { condition.unlock() }
        return inserted
    }

    private func drain() {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if queue.isEmpty || failure != nil {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = queue.removeFirst()
            condition.broadcast()
            condition.unlock()
            do {
                let count = try loader.load(batch.events, rejected: batch.rejected)
                condition.lock()
                inserted += count
                loadedBatches += 1
                condition.unlock()
            } catch {
                condition.lock()
                failure = error
                queue.removeAll()
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
        }
    }
}
