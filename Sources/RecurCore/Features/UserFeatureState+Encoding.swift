extension UserFeatureState {
    private static let magic: [UInt8] = [0x52, 0x46, 0x01]  // "RF", format 1

    /// A compact byte form for `user_features.state`: varints, times delta-coded.
    public func encoded() -> [UInt8] {
        var out = Self.magic
        out.reserveCapacity(64 + records.count * 8)
        func varint(_ value: UInt64) {
            var v = value
            while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
            out.append(UInt8(v))
        }
        func signed(_ value: Int64) { varint(UInt64(bitPattern: (value << 1) ^ (value >> 63))) }
        func double(_ value: Double) { varint(value.bitPattern) }
        for time in firstTime { signed(time == .max ? 0 : time); out.append(time == .max ? 0 : 1) }
        signed(lastEventAt?.microseconds ?? 0)
        out.append(lastEventAt == nil ? 0 : 1)
        for f in folded {
            varint(UInt64(f.count))
            guard f.count > 0 else { continue }
            signed(f.cents); signed(f.maxCents); varint(UInt64(f.days)); varint(UInt64(f.gapCount))
            double(f.gapDaysSum); double(f.gapDaysSquares); signed(f.lastTime)
        }
        varint(UInt64(records.count))
        var previous: Int64 = 0
        for r in records {
            signed(r.time - previous)
            previous = r.time
            out.append(r.type)
            if r.type >= 2 { signed(r.cents) }
        }
        return out
    }

    /// Reads a state written by `encoded()`; throws on anything else, never traps.
    public init(decoding bytes: some Collection<UInt8>, for set: FeatureSet) throws(FeatureDefinitionError) {
        try self.init(decoding: bytes, from: UserFeatureState(set: set))
    }

    /// Reads a state into a copy of `empty`, a new state of the same set: decoding many states
    /// then works out the set's history lengths once, not once per state.
    public init(decoding bytes: some Collection<UInt8>, from empty: UserFeatureState) throws(FeatureDefinitionError) {
        self = empty
        let data = Array(bytes)
        var index = 0
        func fail(_ what: String) -> FeatureDefinitionError { .undecodableState("\(what) at byte \(index)") }
        guard data.count >= 3, data[0..<3].elementsEqual(Self.magic) else { throw .undecodableState("not a Recur feature state (bad header)") }
        index = 3
        func varint() throws(FeatureDefinitionError) -> UInt64 {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                guard index < data.count else { throw fail("truncated") }
                let byte = data[index]
                index += 1
                guard shift < 64 else { throw fail("varint too long") }
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return value }
                shift += 7
            }
        }
        func signed() throws(FeatureDefinitionError) -> Int64 {
            let v = try varint()
            return Int64(bitPattern: v >> 1) ^ -Int64(bitPattern: v & 1)
        }
        func byte() throws(FeatureDefinitionError) -> UInt8 {
            guard index < data.count else { throw fail("truncated") }
            index += 1
            return data[index - 1]
        }
        func count(_ limit: UInt64) throws(FeatureDefinitionError) -> Int64 {
            let v = try varint()
            guard v <= limit else { throw fail("implausible count \(v)") }
            return Int64(v)
        }
        // Times outside years 1–9999 only come from damaged bytes; refusing them keeps every later
        // subtraction of two times from overflowing.
        func time() throws(FeatureDefinitionError) -> Int64 {
            let value = try signed()
            guard Timestamp.representable.contains(value) else { throw fail("time \(value) out of range") }
            return value
        }
        for i in 0..<5 {
            let time = try time()
            firstTime[i] = try byte() == 1 ? time : .max
        }
        let last = try time()
        lastEventAt = try byte() == 1 ? Timestamp(microseconds: last) : nil
        for code in 0..<4 {
            var f = Folded()
            f.count = try count(1 << 40)
            if f.count > 0 {
                f.cents = try signed(); f.maxCents = try signed(); f.days = try count(1 << 40); f.gapCount = try count(1 << 40)
                f.gapDaysSum = Double(bitPattern: try varint()); f.gapDaysSquares = Double(bitPattern: try varint())
                f.lastTime = try time()
            }
            folded[code] = f
        }
        let n = try count(UInt64(data.count))
        var records = [Record]()
        records.reserveCapacity(Int(n))
        var time: Int64 = 0
        for _ in 0..<n {
            let (sum, overflow) = time.addingReportingOverflow(try signed())
            guard !overflow, Timestamp.representable.contains(sum) else { throw fail("time out of range") }
            guard records.isEmpty || sum >= time else { throw fail("records out of time order") }
            time = sum
            let type = try byte()
            guard type < 4 else { throw fail("unknown event type code \(type)") }
            let cents = type >= 2 ? try signed() : 0
            records.append(Record(time: time, type: type, cents: cents))
        }
        guard index == data.count else { throw fail("trailing bytes") }
        self.records = records
    }

    /// Bytes from PostgreSQL's `encode(state, 'hex')`, the form `user_features.state` is read in.
    public static func bytes(hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        func nibble(_ c: UInt8) -> UInt8 { c <= 57 ? c &- 48 : (c | 0x20) &- 87 }
        var index = 0
        while index + 1 < digits.count { out.append(nibble(digits[index]) << 4 | nibble(digits[index + 1])); index += 2 }
        return out
    }
}
