#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Users' encoded feature states end to end in one mapping, the form `user_features` stores: about
/// a third of the decoded states' memory and no heap object per user. A state is decoded only when
/// its feature span runs out. The owner serialises access (the table's shard lock).
///
/// The bytes live in their own anonymous mapping rather than a Swift array: grown by doubling, an
/// array left its outgrown buffers in malloc's arenas, fragmented, and the server's resident size
/// after the same load varied by 30 MB from run to run at 180,000 users. A mapping's unused tail is
/// never touched, so it is never resident, and an outgrown one goes straight back to the kernel.
struct StateArena: ~Copyable {
    private var base: UnsafeMutableRawPointer?
    private var capacity = 0
    private var used = 0
    /// Offsets fit 32 bits: a shard's states stay far below 4 GB (1/16 of the table).
    private var offsets: [UInt32] = []
    private var lengths: [UInt32] = []
    /// Bytes no state points at any more, reclaimed by `compact` once they are half the buffer.
    private var garbage = 0

    init() {}

    deinit { if let base { munmap(base, capacity) } }

    var count: Int { offsets.count }

    /// Adds a state and returns its index.
    mutating func append(_ state: [UInt8]) -> Int {
        offsets.append(UInt32(write(state)))
        lengths.append(UInt32(state.count))
        return offsets.count - 1
    }

    /// Replaces state `index`: in place when the new one fits, else at the end.
    mutating func replace(_ index: Int, with state: [UInt8]) {
        let old = Int(lengths[index])
        if state.count <= old {
            if !state.isEmpty { state.withUnsafeBytes { (base! + Int(offsets[index])).copyMemory(from: $0.baseAddress!, byteCount: state.count) } }
            garbage += old - state.count
        } else {
            garbage += old
            offsets[index] = UInt32(write(state))
        }
        lengths[index] = UInt32(state.count)
        if garbage > 1 << 20 && garbage * 2 > used { compact() }
    }

    /// A copy of state `index`, to decode outside the lock.
    func state(_ index: Int) -> [UInt8] {
        let length = Int(lengths[index])
        guard length > 0, let base else { return [] }
        return Array(UnsafeRawBufferPointer(start: base + Int(offsets[index]), count: length))
    }

    /// Bytes held, garbage included.
    var byteCount: Int { used }

    /// Appends the bytes at the end and returns where they start.
    private mutating func write(_ state: [UInt8]) -> Int {
        precondition(used + state.count <= Int(UInt32.max), "one shard's feature states passed 4 GB")
        if used + state.count > capacity { remap(toHold: max(used + state.count, capacity * 2)) }
        let start = used
        if !state.isEmpty { state.withUnsafeBytes { (base! + start).copyMemory(from: $0.baseAddress!, byteCount: state.count) } }
        used += state.count
        return start
    }

    /// Moves the bytes into a new mapping of at least `wanted` bytes.
    private mutating func remap(toHold wanted: Int) {
        let page = 1 << 16
        let bytes = max(page, (wanted + page - 1) / page * page)
        guard let fresh = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), fresh != MAP_FAILED else {
            fatalError("cannot map \(bytes) bytes for users' feature states: out of memory")
        }
        if let base {
            fresh.copyMemory(from: base, byteCount: used)
            munmap(base, capacity)
        }
        (base, capacity) = (fresh, bytes)
    }

    private mutating func compact() {
        guard let old = base else { return }
        let oldCapacity = capacity
        (base, capacity, used) = (nil, 0, 0)
        remap(toHold: offsets.indices.reduce(0) { $0 + Int(lengths[$1]) })
        for index in offsets.indices {
            let length = Int(lengths[index])
            (base! + used).copyMemory(from: old + Int(offsets[index]), byteCount: length)
            offsets[index] = UInt32(used)
            used += length
        }
        munmap(old, oldCapacity)
        garbage = 0
    }
}
