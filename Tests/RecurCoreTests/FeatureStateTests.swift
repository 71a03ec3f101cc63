import Testing

@testable import RecurCore

@Suite struct FeatureStateTests {
    static let t = Timestamp(year: 2025, month: 3, day: 1)!
    let set = try! FeatureCatalog.builtin.resolve("default@1")

    func event(_ type: EventType, _ offset: TimeSpan, amount: Double? = nil) -> Event {
        Event(eventID: UUIDText.next(), userID: "u", timestamp: Self.t - offset, type: type, amount: amount)
    }

    func values(_ events: [Event], asOf: Timestamp = Self.t) -> [String: Double] {
        var state = UserFeatureState(set: set)
        for e in events { state.apply(e) }
        return Dictionary(uniqueKeysWithValues: zip(set.featureNames, state.values(asOf: asOf)))
    }

    var fixture: [Event] {
        [
            event(.view, .days(40)),
            event(.cart, .days(10)),
            event(.purchase, .days(7), amount: 10),
            event(.view, .days(3) + .minutes(10)),
            event(.cart, .days(3) + .minutes(5)),
            event(.purchase, .days(3), amount: 20),
            event(.refund, .days(2), amount: 5),
            event(.purchase, TimeSpan(microseconds: 0), amount: 99)  // exactly at T: out of every window
        ]
    }

    @Test func everyAggregationKindMatchesHandComputedValues() {
        let v = values(fixture)
        #expect(v["purchase_count_7d"] == 2, "the event at exactly T - 7d is in, the one at T is out")
        #expect(v["purchase_count_all"] == 2)
        #expect(v["purchase_days_7d"] == 2)
        #expect(v["purchase_amount_sum_7d"] == 25, "net of the refund")
        #expect(v["purchase_amount_mean_7d"] == 15)
        #expect(v["purchase_amount_max_7d"] == 20)
        #expect(v["days_since_last_purchase"] == 3)
        #expect(v["days_since_first_event"] == 40)
        #expect(v["days_since_first_purchase"] == 7)
        #expect(v["days_since_last_session"] == 2)
        #expect(v["purchase_gap_mean_all"] == 4)
        #expect(v["purchase_gap_std_all"] == 0)
        #expect(v["session_count_7d"] == 3)
        #expect(v["session_count_30d"] == 4)
        #expect(v["session_count_90d"] == 5)
        #expect(v["cart_abandoned_sessions_30d"] == 1)
        #expect(v["view_count_30d"] == 1)
        #expect(v["cart_count_7d"] == 1)
        #expect(v["purchase_per_cart_ratio_30d"] == 1)
        #expect(v["purchase_per_view_ratio_30d"] == 2)
        #expect(v["purchase_trend_30d"] == 3)
        #expect(v["refund_count_90d"] == 1)
        #expect(abs(v["session_events_mean_90d"]! - 7.0 / 5.0) < 1e-12)
        #expect(abs(v["session_minutes_mean_90d"]! - 10.0 / 5.0) < 1e-12)
    }

    @Test func windowEdgesAreHalfOpen() {
        let edge = [event(.purchase, .days(7), amount: 1)]
        #expect(values(edge)["purchase_count_7d"] == 1)
        #expect(values(edge, asOf: Self.t + .seconds(1))["purchase_count_7d"] == 0)
        #expect(values(edge, asOf: Self.t - .days(7))["purchase_count_7d"] == 0, "an event at T is not yet seen")
        #expect(values(edge, asOf: Self.t - .days(7))["days_since_last_purchase"]!.isNaN)
    }

    @Test func sessionsSplitByTheInactivityGap() {
        let events = [event(.view, .hours(5)), event(.view, .hours(5) - .minutes(30)), event(.view, .hours(5) - .minutes(61))]
        let v = values(events)
        #expect(v["session_count_7d"] == 2, "30 minutes apart is one session, 31 more starts another")
    }

    @Test func aUserWithOneEventHasUndefinedPurchaseFeatures() {
        let v = values([event(.view, .days(1))])
        #expect(v["days_since_last_purchase"]!.isNaN)
        #expect(v["purchase_amount_mean_30d"]!.isNaN)
        #expect(v["purchase_gap_mean_all"]!.isNaN)
        #expect(v["purchase_count_all"] == 0)
        #expect(v["purchase_amount_sum_all"] == 0)
        #expect(v["days_since_first_event"] == 1)
        #expect(v["session_count_7d"] == 1)
    }

    @Test func recencyMovesWithTheClockWithoutNewEvents() {
        let events = [event(.purchase, .days(40), amount: 3)]
        #expect(values(events)["days_since_last_purchase"] == 40)
        #expect(values(events, asOf: Self.t + .days(10))["days_since_last_purchase"] == 50)
        #expect(values(events, asOf: Self.t + .days(400))["purchase_count_365d"] == 0)
    }

    @Test func oldHistoryIsFoldedWithoutChangingAllTimeValues() throws {
        // Two years of weekly purchases: most get folded, all-time totals must not change.
        var events = [Event]()
        for week in 0..<104 { events.append(event(.purchase, .days(Int64(7 * week) + 1), amount: Double(week % 5 + 1))) }
        var state = UserFeatureState(set: set)
        for e in events.reversed() { state.apply(e) }
        state.prune()
        #expect(state.records.count < 60)
        let v = Dictionary(uniqueKeysWithValues: zip(set.featureNames, state.values(asOf: Self.t)))
        #expect(v["purchase_count_all"] == 104)
        #expect(v["purchase_days_all"] == 104)
        #expect(v["purchase_amount_sum_all"] == Double((0..<104).map { $0 % 5 + 1 }.reduce(0, +)))
        #expect(abs(v["purchase_gap_mean_all"]! - 7) < 1e-9)
        #expect(v["purchase_amount_max_all"] == 5)
        let decoded = try UserFeatureState(decoding: state.encoded(), for: set)
        #expect(decoded.values(asOf: Self.t).elementsEqual(state.values(asOf: Self.t)) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        #expect(state.encodedSize < 1024)
    }

    @Test func garbageStateIsRefusedNotTrapped() {
        var random = SeededRandom(seed: 5)
        for length in 0..<200 {
            let bytes = [0x52, 0x46, 0x01] + (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            _ = try? UserFeatureState(decoding: bytes, for: set)
        }
        #expect(throws: FeatureDefinitionError.self) { try UserFeatureState(decoding: [1, 2, 3], for: set) }
        var state = UserFeatureState(set: set)
        state.apply(event(.purchase, .days(1), amount: 2))
        let bytes = state.encoded()
        #expect(throws: FeatureDefinitionError.self) { try UserFeatureState(decoding: bytes.dropLast(), for: set) }
    }
}

/// Unique ids for test events.
enum UUIDText {
    nonisolated(unsafe) static var counter = 0
    static func next() -> String { counter += 1; return "e\(counter)" }
}
