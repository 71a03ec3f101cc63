import Testing

@testable import RecurCore

@Suite struct FeatureValueSpanTests {
    let set: FeatureSet

    init() throws { set = try FeatureCatalog.builtin.resolve("default") }
    let day: Int64 = 86_400_000_000

    /// Bit-for-bit equal, NaN equal to NaN: the span must give exactly what a full refold gives.
    func identical(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || x.bitPattern == y.bitPattern }
    }

    func state(_ events: [Event]) -> UserFeatureState {
        var s = UserFeatureState(set: set)
        for e in events { s.apply(e) }
        return s
    }

    @Test func spanValuesEqualAFullRefoldEverywhereInTheSpan() {
        var random = SeededRandom(seed: 31)
        let history = FeaturePropertyTests()
        var checked = 0
        for trial in 0..<300 {
            let events = history.randomHistory(&random, start: Timestamp(year: 2024, month: 1, day: 1)!, count: 1 + random.below(200))
            let s = state(events)
            let first = events.first!.timestamp.microseconds, last = events.last!.timestamp.microseconds
            // As-of times inside the history (events still to come), just after it, and long after it.
            let starts = [first + Int64(random.unit() * Double(last - first)), last + 1, last + Int64(random.unit() * 400 * Double(day))]
            for start in starts {
                let span = s.valueSpan(asOf: Timestamp(microseconds: start))
                #expect(span.from == start && span.until > start)
                let end = span.until == .max ? start + 3_000 * day : span.until
                let probes = [start, end - 1, start + Int64(random.unit() * Double(end - start))]
                for t in probes where t >= start && t < end {
                    let at = Timestamp(microseconds: t)
                    #expect(identical(span.values(asOf: at), s.values(asOf: at)), "trial \(trial) start \(start) t \(t)")
                    checked += 1
                }
            }
        }
        #expect(checked > 1_000)
    }

    @Test func spanEndsWhenAnEventLeavesAWindow() throws {
        let t0 = Timestamp(year: 2025, month: 3, day: 1)!
        let purchase = Event(eventID: "p", userID: "u", timestamp: t0, type: .purchase, amount: 10)
        let s = state([purchase])
        let span = s.valueSpan(asOf: t0 + .days(2))
        // The 7-day window is the shortest: the purchase is in it until t0 + 7 d inclusive.
        #expect(span.until == t0.microseconds + 7 * day + 1)
        let index = try #require(set.featureNames.firstIndex(of: "purchase_count_7d"))
        let inside = span.values(asOf: Timestamp(microseconds: span.until - 1))
        #expect(inside[index] == 1)
        #expect(s.values(asOf: Timestamp(microseconds: span.until))[index] == 0)
        let recency = try #require(set.featureNames.firstIndex(of: "days_since_last_purchase"))
        #expect(inside[recency] == Double(7 * day) / Double(day))
    }

    @Test func spanEndsWhenTheNextEventBecomesVisible() {
        let t0 = Timestamp(year: 2025, month: 3, day: 1)!
        let s = state([
            Event(eventID: "a", userID: "u", timestamp: t0, type: .view, amount: nil),
            Event(eventID: "b", userID: "u", timestamp: t0 + .hours(5), type: .purchase, amount: 3)
        ])
        let span = s.valueSpan(asOf: t0 + .hours(1))
        #expect(span.until == (t0 + .hours(5)).microseconds + 1)
    }

    @Test func anEmptyHistoryNeverChanges() {
        let span = UserFeatureState(set: set).valueSpan(asOf: Timestamp(year: 2025, month: 1, day: 1)!)
        #expect(span.until == .max)
        #expect(span.values(asOf: Timestamp(year: 2030, month: 1, day: 1)!).count == set.features.count)
    }
}

extension FeatureValueSpanTests {
    @Test func aStoredRowAnswersExactlyAsTheSpan() {
        var random = SeededRandom(seed: 32)
        let layout = FeatureValueSpan.RowLayout(set: set)
        let row = UnsafeMutablePointer<UInt64>.allocate(capacity: layout.width)
        defer { row.deallocate() }
        var out = [Double](repeating: 0, count: set.features.count)
        for trial in 0..<200 {
            let events = FeaturePropertyTests().randomHistory(&random, start: Timestamp(year: 2024, month: 1, day: 1)!, count: 1 + random.below(100))
            let start = events.last!.timestamp + TimeSpan(microseconds: Int64(random.unit() * 30 * Double(day)))
            let span = state(events).valueSpan(asOf: start)
            layout.store(span, into: row)
            let end = span.until == .max ? start.microseconds + 1_000 * day : span.until
            let t = Timestamp(microseconds: start.microseconds + Int64(random.unit() * Double(end - 1 - start.microseconds)))
            let answered = out.withUnsafeMutableBufferPointer { layout.write(row: row, asOf: t, into: $0) }
            #expect(answered)
            #expect(identical(out, span.values(asOf: t)), "trial \(trial)")
            // Outside the span the row refuses rather than answering stale values.
            if span.until != .max {
                #expect(!out.withUnsafeMutableBufferPointer { layout.write(row: row, asOf: Timestamp(microseconds: span.until), into: $0) })
            }
            #expect(!out.withUnsafeMutableBufferPointer { layout.write(row: row, asOf: Timestamp(microseconds: start.microseconds - 1), into: $0) })
        }
    }
}
