#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Fixed-width rows of 64-bit words in one mapping that asks the kernel for huge pages, so that
/// reading a random user's row costs one memory fetch and no page-table walk. Grows by doubling;
/// the owner serialises access (the table's shard lock).
final class RowBlock {
    let width: Int
    private(set) var count = 0
    private var capacity: Int
    private var bytes: Int
    private var base: UnsafeMutableRawPointer

    /// Mappings come in whole huge pages: a smaller one never gets one.
    static let hugePage = 2 << 20

    init(width: Int) {
        self.width = width
        (base, bytes) = Self.map(atLeast: width * 8)
        capacity = bytes / (width * 8)
    }

    deinit { munmap(base, bytes) }

    /// Makes room for `rows` rows in all at once, so that a large first load does not copy the
    /// block each time it doubles.
    func reserve(rows: Int) {
        guard rows > capacity else { return }
        grow(toBytes: rows * width * 8)
    }

    private func grow(toBytes wanted: Int) {
        let (bigger, biggerBytes) = Self.map(atLeast: wanted)
        bigger.copyMemory(from: base, byteCount: count * width * 8)
        munmap(base, bytes)
        (base, bytes) = (bigger, biggerBytes)
        capacity = bytes / (width * 8)
    }

    /// Adds a row and returns its index.
    func append() -> Int {
        if count == capacity { grow(toBytes: bytes * 2) }
        count += 1
        return count - 1
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
        #if os(Linux)
            // Advice only: without transparent huge pages the block works the same, a little slower.
            _ = madvise(pointer, bytes, Int32(MADV_HUGEPAGE))
        #endif
        return (pointer, bytes)
    }
}
