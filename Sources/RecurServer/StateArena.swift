/// Users' encoded feature states end to end in one byte buffer, the form `user_features` stores:
/// about a third of the decoded states' memory and no heap object per user. A state is decoded
/// only when its feature span runs out. The owner serialises access (the table's shard lock).
struct StateArena {
    private var bytes: [UInt8] = []
    private var offsets: [Int] = []
    private var lengths: [UInt32] = []
    /// Bytes no state points at any more, reclaimed by `compact` once they are half the buffer.
    private var garbage = 0

    var count: Int { offsets.count }

    /// Adds a state and returns its index.
    mutating func append(_ state: [UInt8]) -> Int {
        offsets.append(bytes.count)
        lengths.append(UInt32(state.count))
        bytes.append(contentsOf: state)
        return offsets.count - 1
    }

    /// Replaces state `index`: in place when the new one fits, else at the end.
    mutating func replace(_ index: Int, with state: [UInt8]) {
        let old = Int(lengths[index])
        if state.count <= old {
            bytes.withUnsafeMutableBufferPointer { buffer in
                for (k, byte) in state.enumerated() { buffer[offsets[index] + k] = byte }
            }
            garbage += old - state.count
        } else {
            garbage += old
            offsets[index] = bytes.count
            bytes.append(contentsOf: state)
        }
        lengths[index] = UInt32(state.count)
        if garbage > 1 << 20 && garbage * 2 > bytes.count { compact() }
    }

    /// A copy of state `index`, to decode outside the lock.
    func state(_ index: Int) -> [UInt8] {
        let start = offsets[index]
        return Array(bytes[start..<(start + Int(lengths[index]))])
    }

    /// Bytes held, garbage included.
    var byteCount: Int { bytes.count }

    private mutating func compact() {
        var packed = [UInt8]()
        packed.reserveCapacity(bytes.count - garbage)
        for index in offsets.indices {
            let start = offsets[index]
            offsets[index] = packed.count
            packed.append(contentsOf: bytes[start..<(start + Int(lengths[index]))])
        }
        bytes = packed
        garbage = 0
    }
}
