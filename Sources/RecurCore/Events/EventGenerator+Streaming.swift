import Foundation

extension EventGenerator {
    /// The rows of `rows()`, in the same order, handed to `body` in batches while holding about
    /// `chunkRows` rows in memory however many users there are: users are generated in chunks,
    /// each chunk sorted and spilled to a temporary file in `spillDirectory`, and the files merged.
    /// Returns how many rows there were.
    @discardableResult
    public func streamRows(
        chunkRows: Int = 8_000_000, spillDirectory: String = NSTemporaryDirectory(),
        _ body: ([Row]) throws -> Void
    ) throws -> Int {
        let (activity, purchases) = calibration()
        var random = disorderRandom
        var runs = [SpilledRun]()
        defer { for run in runs { run.remove() } }
        var chunk = [Row]()
        var total = 0
        var user = 0
        while user < options.users {
            chunk.removeAll(keepingCapacity: true)
            while user < options.users && chunk.count < chunkRows {
                generate(user: user, activity: activity, purchaseScale: purchases, into: &chunk)
                user += 1
            }
            // The disorder stream runs over users in order, chunk after chunk, as in `rows()`.
            disorder(&chunk, random: &random)
            chunk.sort(by: Self.fileOrder)
            total += chunk.count
            if runs.isEmpty && user == options.users {
                try body(chunk)
                return total
            }
            runs.append(try SpilledRun(rows: chunk, directory: spillDirectory, index: runs.count))
        }
        chunk = []
        try SpilledRun.merge(runs, batch: 1 << 16, body)
        return total
    }
}

/// One sorted chunk of generated rows in a temporary file, read back a batch at a time.
final class SpilledRun {
    private let path: String
    private let file: UnsafeMutablePointer<FILE>
    private var buffer: [EventGenerator.Row] = []
    private var position = 0

    init(rows: [EventGenerator.Row], directory: String, index: Int) throws {
        path = (directory as NSString).appendingPathComponent("recur-generate-\(ProcessInfo.processInfo.processIdentifier)-\(index).rows")
        guard let file = fopen(path, "w+b") else { throw GeneratorSpillError(path: path, reason: String(cString: strerror(errno))) }
        self.file = file
        let written = rows.withUnsafeBufferPointer { fwrite($0.baseAddress, MemoryLayout<EventGenerator.Row>.stride, $0.count, file) }
        guard written == rows.count, fflush(file) == 0 else { throw GeneratorSpillError(path: path, reason: "disk full?") }
        rewind(file)
    }

    deinit { fclose(file) }

    func remove() { unlink(path) }

    /// The next row, or nil at the end.
    func next(batch: Int) -> EventGenerator.Row? {
        if position == buffer.count {
            buffer = [EventGenerator.Row](unsafeUninitializedCapacity: batch) { out, count in
                count = fread(out.baseAddress, MemoryLayout<EventGenerator.Row>.stride, batch, file)
            }
            position = 0
            if buffer.isEmpty { return nil }
        }
        position += 1
        return buffer[position - 1]
    }

    /// Merges sorted runs into file order, calling `body` with batches of `batch` rows.
    static func merge(_ runs: [SpilledRun], batch: Int, _ body: ([EventGenerator.Row]) throws -> Void) throws {
        // A binary heap of each run's next row; runs are few, rows many.
        var heap = [(row: EventGenerator.Row, run: Int)]()
        for (index, run) in runs.enumerated() { if let row = run.next(batch: batch) { heap.append((row, index)) } }
        func less(_ a: Int, _ b: Int) -> Bool { EventGenerator.fileOrder(heap[a].row, heap[b].row) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var smallest = i
                if l < heap.count && less(l, smallest) { smallest = l }
                if r < heap.count && less(r, smallest) { smallest = r }
                if smallest == i { return }
                heap.swapAt(i, smallest)
                i = smallest
            }
        }
        for i in stride(from: heap.count / 2, through: 0, by: -1) { siftDown(i) }
        var out = [EventGenerator.Row]()
        out.reserveCapacity(batch)
        while let top = heap.first {
            out.append(top.row)
            if let next = runs[top.run].next(batch: batch) { heap[0] = (next, top.run) } else { heap[0] = heap[heap.count - 1]; heap.removeLast() }
            if !heap.isEmpty { siftDown(0) }
            if out.count == batch { try body(out); out.removeAll(keepingCapacity: true) }
        }
        if !out.isEmpty { try body(out) }
    }
}

/// The generator could not write its temporary sorted chunks.
public struct GeneratorSpillError: Error, CustomStringConvertible {
    public let path: String
    public let reason: String
    public var description: String { "cannot write generated events to the temporary file \(path): \(reason); set TMPDIR to a folder with room" }
}
