#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fixed-width rows of 64-bit words in one mapping whose filled part asks the kernel for huge pages,
/// so that reading a random user's row costs one memory fetch and no page-table walk. Grows by
/// doubling; the owner serialises access (the table's shard lock).
///
/// Only whole huge pages of rows are advised: a huge page is resident in full from its first touch,
/// so advising the whole mapping kept up to 2 MB per shard of empty rows resident (16 shards: 32 MB
/// for a server with no users, about 85 bytes per user at 180,000 users). The partly filled tail
/// uses ordinary pages until it fills.
final class RowBlock {
    let width: Int
    private(set) var count = 0
    private var capacity: Int
    private var bytes: Int
    private var base: UnsafeMutableRawPointer

    /// Mappings come in whole huge pages: a smaller one never gets one.
    static let hugePage = 2 << 20

    /// Bytes from the start that have been advised as huge pages.
    private var advised = 0

    init(width: Int) {
        self.width = width
        (base, bytes) = Self.map(atLeast: width * 8)
        capacity = bytes / (width * 8)
    }

    deinit { munmap(base, bytes) }

    /// Makes room for `rows` rows in all at once, so that a large first load does not copy the
    /// block each time it doubles; the whole huge pages that `expected` rows will fill get huge pages
    /// before they are touched.
    func reserve(rows: Int, expected: Int) {
        if rows > capacity { grow(toBytes: rows * width * 8) }
        adviseFilledPages(upTo: min(expected, capacity))
    }

    private func grow(toBytes wanted: Int) {
        let (bigger, biggerBytes) = Self.map(atLeast: wanted)
        let old = (base, bytes)
        (base, bytes) = (bigger, biggerBytes)
        capacity = bytes / (width * 8)
        advised = 0
        // Advised before the copy touches them, so the copied rows land in huge pages at once.
        adviseFilledPages(upTo: count)
        bigger.copyMemory(from: old.0, byteCount: count * width * 8)
        munmap(old.0, old.1)
    }

    /// Adds a row and returns its index.
    func append() -> Int {
        if count == capacity { grow(toBytes: bytes * 2) }
        count += 1
        if count * width * 8 >= advised + Self.hugePage { adviseFilledPages(upTo: count) }
        return count - 1
    }

    /// Asks for huge pages over every whole huge page that `rows` rows fill (the kernel collapses
    /// small pages already there in the background).
    private func adviseFilledPages(upTo rows: Int) {
        let filled = rows * width * 8 / Self.hugePage * Self.hugePage
        guard filled > advised else { return }
        #if os(Linux)
            // Advice only: without transparent huge pages the block works the same, a little slower.
            _ = madvise(base + advised, filled - advised, Int32(MADV_HUGEPAGE))
        #endif
        advised = filled
    }

    func row(_ index: Int) -> UnsafeMutablePointer<UInt64> {
        precondition(index >= 0 && index < count, "row \(index) outside 0..<\(count)")
        return (base + index * width * 8).assumingMemoryBound(to: UInt64.self)
    }

    private static func map(atLeast wanted: Int) -> (UnsafeMutableRawPointer, Int) {
        let bytes = (wanted + hugePage - 1) / hugePage * hugePage
        guard let pointer = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), pointer != MAP_FAILED else {
            fatalError("cannot map \(bytes) bytes for online features: out of memory")
        }
        return (pointer, bytes)
    }
}
