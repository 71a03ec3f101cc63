import CRecurSystem
import Dispatch

/// Gradient histograms over binned rows: one (gradient, hessian) pair of floats per (feature, bin),
/// features laid end to end with exactly as many bins as each has, so the whole histogram of a
/// typical feature set stays in the first-level cache while a leaf's rows stream past.
///
/// The bins are the only copy of the rows a fit holds: one byte per row and feature in each of two
/// layouts, as LightGBM's row-wise mode keeps them. With the row-major one alone a partition reads
/// one byte of each scattered row, a cache line each: the 1M-row benchmark's fit took 1.3× as long.
struct BinnedHistograms: @unchecked Sendable {
    /// Row-major bins: one row's bins are contiguous, so one pass over a leaf's rows fills every
    /// feature's histogram (LightGBM's row-wise layout).
    let rowBins: [UInt8]
    /// Column-major bins: a partition reads one feature of rows in ascending order.
    let columnBins: [UInt8]
    let rows: Int
    let features: Int
    /// Where each feature's bins start, in (gradient, hessian) pairs.
    let offsets: [Int]
    /// Bins per feature: missing, one per cut, and the one above the last cut.
    let binCounts: [Int]
    /// Pairs in one histogram.
    let size: Int
    /// How many rows ahead the histogram loop asks for a row's memory: about one row's work
    /// hides one miss, and a few rows cover the latency of main memory.
    static let prefetchDistance = 16

    init(rows source: some FeatureRows, binner: FeatureBins) throws {
        let p = binner.cuts.count, n = source.rowCount
        rows = n
        features = p
        binCounts = binner.cuts.map { $0.count + 2 }
        var start = 0
        var offsets = [Int]()
        for count in binCounts { offsets.append(start); start += count }
        self.offsets = offsets
        size = start
        // Both layouts filled batch by batch: a batch's column runs are written in order while its
        // row-major bins are still in cache.
        var rowMajor = [UInt8](repeating: 0, count: n * p), columnMajor = rowMajor
        try rowMajor.withUnsafeMutableBufferPointer { byRow in
            try columnMajor.withUnsafeMutableBufferPointer { byColumn in
                try source.forEachBatch(maxRows: 65_536) { first, xs in
                    for k in 0..<xs.count { byRow[first * p + k] = binner.bin(xs[k], feature: k % p) }
                    let count = xs.count / max(1, p)
                    for j in 0..<p { for r in 0..<count { byColumn[j * n + first + r] = byRow[(first + r) * p + j] } }
                }
            }
        }
        rowBins = rowMajor
        columnBins = columnMajor
    }

    /// The bin of `row` for `feature`.
    @inline(__always) func bin(row: Int, feature: Int) -> UInt8 { columnBins[feature * rows + row] }

    /// Histograms of all features for `rows`: rows split across threads, each filling its own
    /// histogram in one pass over its rows' contiguous bins, then summed. `pairs` holds each row's
    /// gradient and hessian side by side. Also returns the rows' total gradient and hessian, summed
    /// in double precision.
    func histogram(_ rows: [Int32], _ pairs: [Float], threads: Int) -> ([Float], g: Double, h: Double) {
        let p = features
        let threads = rows.count < Self.rowsPerThread ? 1 : max(1, threads)
        let results = PartialHistograms(count: threads, size: 2 * size)
        let chunk = (rows.count + threads - 1) / threads
        rowBins.withUnsafeBufferPointer { binBuffer in
            rows.withUnsafeBufferPointer { rowBuffer in
                pairs.withUnsafeBufferPointer { pairBuffer in
                    offsets.withUnsafeBufferPointer { offsetBuffer in
                        let b = UnsafeSendable(binBuffer), r = UnsafeSendable(rowBuffer)
                        let gh = UnsafeSendable(pairBuffer), o = UnsafeSendable(offsetBuffer)
                        let work: @Sendable (Int) -> Void = { t in
                            // (g, h) read and added as one 8-byte vector: half the loads and stores.
                            let hist = UnsafeMutableRawPointer(results.pointer(t)).assumingMemoryBound(to: SIMD2<Float>.self)
                            let gradients = UnsafeRawPointer(gh.buffer.baseAddress!).assumingMemoryBound(to: SIMD2<Float>.self)
                            let bins = b.buffer.baseAddress!, offsets = o.buffer.baseAddress!
                            let end = min(rows.count, (t + 1) * chunk)
                            var g = 0.0, h = 0.0
                            var k = t * chunk
                            while k < end {
                                // The row's bins and pair miss the cache unless asked for ahead.
                                if k + Self.prefetchDistance < end {
                                    let ahead = Int(r.buffer[k + Self.prefetchDistance])
                                    recur_prefetch(bins + ahead * p)
                                    recur_prefetch(bins + ahead * p + p - 1)
                                    recur_prefetch(gradients + ahead)
                                }
                                let row = Int(r.buffer[k])
                                let pair = gradients[row]
                                g += Double(pair.x); h += Double(pair.y)
                                let base = bins + row * p
                                for j in 0..<p { hist[offsets[j] &+ Int(base[j])] += pair }
                                k += 1
                            }
                            results.setTotals(t, g, h)
                        }
                        if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
                    }
                }
            }
        }
        let (g, h) = results.totals()
        return (results.sum(), g, h)
    }

    /// Splits `rows` (ascending) into those that go left at `bin` of `feature` and the rest, both
    /// still ascending; large leaves are split in parts on several threads.
    func partition(_ rows: [Int32], feature: Int, bin: UInt8, missingLeft: Bool, threads: Int) -> (left: [Int32], right: [Int32]) {
        let parts = rows.count < 4 * Self.rowsPerThread ? 1 : max(1, threads)
        let chunk = (rows.count + parts - 1) / parts
        let results = PartitionParts(count: parts)
        columnBins.withUnsafeBufferPointer { binBuffer in
            rows.withUnsafeBufferPointer { rowBuffer in
                let b = UnsafeSendable(binBuffer), r = UnsafeSendable(rowBuffer)
                let n = self.rows
                let work: @Sendable (Int) -> Void = { part in
                    let column = b.buffer.baseAddress! + feature * n
                    let range = (part * chunk)..<min(r.buffer.count, (part + 1) * chunk)
                    var left = [Int32](), right = [Int32]()
                    left.reserveCapacity(range.count); right.reserveCapacity(range.count)
                    for k in range {
                        let row = r.buffer[k]
                        let value = column[Int(row)]
                        if value == 0 ? missingLeft : value <= bin { left.append(row) } else { right.append(row) }
                    }
                    results.set(part, left, right)
                }
                if parts == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: parts, execute: work) }
            }
        }
        return results.joined()
    }

    /// Below this many rows a second thread costs more than it saves.
    static let rowsPerThread = 8_192
}

/// Each thread's share of a partition, joined in order so both sides stay ascending.
final class PartitionParts: @unchecked Sendable {
    // Allocated up front; each thread writes only its own slot.
    private let parts: UnsafeMutablePointer<(left: [Int32], right: [Int32])>
    private let count: Int

    init(count: Int) {
        self.count = count
        parts = .allocate(capacity: count)
        parts.initialize(repeating: ([], []), count: count)
    }

    deinit { parts.deinitialize(count: count); parts.deallocate() }

    func set(_ part: Int, _ left: [Int32], _ right: [Int32]) { parts[part] = (left, right) }

    func joined() -> (left: [Int32], right: [Int32]) {
        if count == 1 { return parts[0] }
        let all = UnsafeBufferPointer(start: parts, count: count)
        return (all.flatMap { $0.left }, all.flatMap { $0.right })
    }
}

/// One histogram buffer per thread, so threads never write the same memory.
final class PartialHistograms: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Float>
    private let size: Int
    private let count: Int

    init(count: Int, size: Int) {
        self.count = count
        self.size = size
        storage = .allocate(capacity: count * size)
        storage.initialize(repeating: 0, count: count * size)
        sums = .allocate(capacity: 2 * count)
        sums.initialize(repeating: 0, count: 2 * count)
    }

    deinit { storage.deallocate(); sums.deallocate() }

    func pointer(_ t: Int) -> UnsafeMutablePointer<Float> { storage + t * size }

    /// Each thread's total gradient and hessian, at its own two slots.
    private let sums: UnsafeMutablePointer<Double>
    func setTotals(_ t: Int, _ g: Double, _ h: Double) { sums[2 * t] = g; sums[2 * t + 1] = h }
    func totals() -> (Double, Double) {
        var g = 0.0, h = 0.0
        for t in 0..<count { g += sums[2 * t]; h += sums[2 * t + 1] }
        return (g, h)
    }

    /// The element-wise sum of every thread's histogram.
    func sum() -> [Float] {
        var out = Array(UnsafeBufferPointer(start: storage, count: size))
        for t in 1..<max(1, count) {
            let part = storage + t * size
            for k in 0..<size { out[k] += part[k] }
        }
        return out
    }
}

struct UnsafeSendable<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}
