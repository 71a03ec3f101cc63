/// Every feature of a user for all as-of times in `[from, until)`: no event enters or leaves a
/// window in that span, so counts, sums and sessions are constant there, while recency and tenure
/// grow with the clock from a fixed event time.
///
/// The server answers "as of this moment" from a span instead of refolding the user's state on
/// every request; the answer is bit-for-bit what `UserFeatureState.values(asOf:)` gives.
public struct FeatureValueSpan: Sendable {
    /// A recency or tenure feature: its value at `t` is `t - anchor` in days.
    struct Moving: Sendable {
        var index: Int
        var anchor: Int64
    }

    /// First and one-past-last as-of time covered, in microseconds.
    public let from: Int64
    public let until: Int64
    let fixed: [Double]
    let moving: [Moving]

    public func covers(_ t: Timestamp) -> Bool { t.microseconds >= from && t.microseconds < until }

    /// Writes the values as of `t` (a time the span covers) into `out`, in the set's feature order.
    public func write(asOf t: Timestamp, into out: UnsafeMutableBufferPointer<Double>) {
        precondition(covers(t) && out.count >= fixed.count, "as-of time outside the span or buffer too small")
        fixed.withUnsafeBufferPointer { source in
            _ = out.initialize(fromContentsOf: source)
        }
        let day = Double(Timestamp.microsecondsPerDay)
        for m in moving { out[m.index] = Double(t.microseconds - m.anchor) / day }
    }

    /// The values as of `t`, a time the span covers.
    public func values(asOf t: Timestamp) -> [Double] {
        [Double](unsafeUninitializedCapacity: fixed.count) { buffer, initialized in
            write(asOf: t, into: buffer)
            initialized = fixed.count
        }
    }
}

extension UserFeatureState {
    /// The span of as-of times starting at `asOf` over which only recency and tenure change.
    ///
    /// It ends at the first instant something else could change: the next kept event becoming
    /// visible, a kept event leaving one of the set's windows, or a first or folded event time
    /// being passed. The end is conservative: values may still be equal just past it.
    public func valueSpan(asOf: Timestamp) -> FeatureValueSpan {
        let t = asOf.microseconds
        let visibleCount = firstRecord(atOrAfter: t)
        var until = Int64.max
        if visibleCount < records.count { until = records[visibleCount].time + 1 }
        for width in windowWidths {
            // A record at time r is inside [t' - width, t') while t' <= r + width.
            let first = firstRecord(atOrAfter: t - width, below: visibleCount)
            if first < visibleCount { until = min(until, records[first].time + width + 1) }
        }
        for time in firstTime where time != .max && time >= t { until = min(until, time + 1) }
        for f in folded where f.lastTime != .min && f.lastTime >= t { until = min(until, f.lastTime + 1) }

        let visible = records[0..<visibleCount]
        var moving = [FeatureValueSpan.Moving]()
        set.features.withUnsafeBufferPointer { features in
            for index in features.indices where features[index].kind.movesWithClock {
                if let anchor = anchor(FeatureSpec(features, index), t: t, visible: visible) { moving.append(.init(index: index, anchor: anchor)) }
            }
        }
        return FeatureValueSpan(from: t, until: until, fixed: values(asOf: asOf), moving: moving)
    }

    /// Every distinct window and baseline length of the set, in microseconds (a handful: a linear
    /// search beats hashing).
    private var windowWidths: [Int64] {
        var widths = [Int64]()
        set.features.withUnsafeBufferPointer { features in
            for index in features.indices {
                for length in [features[index].window, features[index].baseline] {
                    if let w = length?.microseconds, !widths.contains(w) { widths.append(w) }
                }
            }
        }
        return widths
    }
}

extension FeatureValueSpan {
    /// How spans of one feature set are flattened into rows of 64-bit words, so that a table can
    /// keep many of them in one block of memory: `from`, `until`, a bit per recency or tenure
    /// feature that says whether it has an anchor (64 to a word), then the values, where such a
    /// feature's slot holds its anchor instead (its value is computed from the anchor anyway).
    /// Keeping the anchors in the value slots saves a word per moving feature in every row.
    public struct RowLayout: Sendable {
        public let featureCount: Int
        /// Indices of the features whose value moves with the clock.
        let movingFeatures: [Int]
        private var flagWords: Int { (movingFeatures.count + 63) / 64 }
        public var width: Int { 2 + flagWords + featureCount }

        public init(set: FeatureSet) {
            featureCount = set.features.count
            movingFeatures = set.features.indices.filter { set.features[$0].kind.movesWithClock }
        }

        /// Writes `span` into `row` (`width` words).
        public func store(_ span: FeatureValueSpan, into row: UnsafeMutablePointer<UInt64>) {
            precondition(span.fixed.count == featureCount, "span of another feature set")
            row[0] = UInt64(bitPattern: span.from)
            row[1] = UInt64(bitPattern: span.until)
            let flags = row + 2
            for k in 0..<flagWords { flags[k] = 0 }
            let values = flags + flagWords
            for i in 0..<featureCount { values[i] = span.fixed[i].bitPattern }
            for m in span.moving {
                guard let j = movingFeatures.firstIndex(of: m.index) else { preconditionFailure("moving feature outside the layout") }
                flags[j >> 6] |= 1 << UInt64(j & 63)
                values[m.index] = UInt64(bitPattern: m.anchor)
            }
        }

        /// The anchor of moving feature `j` (the `j`th of `movingFeatures`), or nil when it has none.
        @inline(__always)
        private func anchor(_ row: UnsafePointer<UInt64>, _ j: Int) -> Int64? {
            guard row[2 + j >> 6] & (1 << UInt64(j & 63)) != 0 else { return nil }
            return Int64(bitPattern: row[2 + flagWords + movingFeatures[j]])
        }

        /// The first time after `t` at which a feature that moves with the clock could pass the split
        /// `nextSplit` gives for its value as of `t` (in `values`): until then, and within the row's
        /// span, a step-function score stays exactly the same. Recency and tenure grow as
        /// `(time − anchor) / day`, which never decreases with time, so only the next split up matters;
        /// a millisecond's margin keeps rounding from ever reaching it.
        public func constantUntil(
            row: UnsafePointer<UInt64>, asOf t: Timestamp, values: UnsafeBufferPointer<Double>,
            nextSplit: (_ feature: Int, _ value: Double) -> Double?
        ) -> Int64 {
            var until = Int64(bitPattern: row[1])
            let day = Double(Timestamp.microsecondsPerDay)
            for (j, index) in movingFeatures.enumerated() {
                guard let anchor = anchor(row, j), let split = nextSplit(index, values[index]) else { continue }
                let reach = split * day
                guard abs(reach) < 9e18 else { continue }
                until = min(until, anchor &+ Int64(reach.rounded(.down)) &- 1_000)
            }
            return max(until, t.microseconds)
        }

        /// Writes the values as of `t` from a stored row into `out`; false (and nothing written)
        /// when the row's span does not cover `t`. Gives exactly what `FeatureValueSpan.write` gives.
        public func write(row: UnsafePointer<UInt64>, asOf t: Timestamp, into out: UnsafeMutableBufferPointer<Double>) -> Bool {
            let time = t.microseconds
            guard time >= Int64(bitPattern: row[0]), time < Int64(bitPattern: row[1]) else { return false }
            UnsafeMutableRawPointer(out.baseAddress!).copyMemory(from: row + 2 + flagWords, byteCount: featureCount * 8)
            let day = Double(Timestamp.microsecondsPerDay)
            for (j, index) in movingFeatures.enumerated() {
                if let anchor = anchor(row, j) { out[index] = Double(time - anchor) / day }
            }
            return true
        }
    }
}
