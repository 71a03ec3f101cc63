import Testing

@testable import RecurCore

@Suite struct FeaturePropertyTests {
    let set = try! FeatureCatalog.builtin.resolve("default")

    func randomHistory(_ random: inout SeededRandom, start: Timestamp, count: Int) -> [Event] {
        var t = start
        var events = [Event]()
        for i in 0..<count {
            t = t + TimeSpan(microseconds: Int64(random.exponential(mean: random.chance(0.7) ? 600 : 5 * 86_400) * 1_000_000))
            let type = [EventType.view, .view, .view, .cart, .purchase, .refund][random.below(6)]
            events.append(
                Event(
                    eventID: "e\(i)", userID: "u", timestamp: t, type: type,
                    amount: type.requiresAmount ? Double(random.below(10_000)) / 100 : nil))
        }
        return events
    }

    func same(_ a: [Double], _ b: [Double]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(1, abs(x)) }
    }

    @Test func orderWithinTheAllowedLatenessDoesNotMatter() {
        var random = SeededRandom(seed: 11)
        let lateness = set.allowedLateness.microseconds
        for trial in 0..<200 {
            let events = randomHistory(&random, start: Timestamp(year: 2024, month: 1, day: 1)!, count: 1 + random.below(300))
            // Each event arrives up to the allowed lateness after its time.
            let arrivals = events.map { ($0, $0.timestamp.microseconds + Int64(random.unit() * Double(lateness))) }
            let shuffled = arrivals.sorted { $0.1 < $1.1 }.map(\.0)
            var inOrder = UserFeatureState(set: set), outOfOrder = UserFeatureState(set: set)
            for e in events { inOrder.apply(e) }
            for e in shuffled { outOfOrder.apply(e) }
            let last = events.last!.timestamp
            for asOf in [last + .seconds(1), last + .days(3), last + .days(100), last + .days(500)] {
                #expect(same(inOrder.values(asOf: asOf), outOfOrder.values(asOf: asOf)), "trial \(trial)")
            }
        }
    }

    @Test func featuresAsOfTIgnoreEventsAtOrAfterT() {
        var random = SeededRandom(seed: 12)
        for trial in 0..<200 {
            let events = randomHistory(&random, start: Timestamp(year: 2024, month: 1, day: 1)!, count: 1 + random.below(300))
            let t = events.last!.timestamp + TimeSpan(microseconds: Int64(random.unit() * 5 * 86_400_000_000))
            var state = UserFeatureState(set: set)
            for e in events { state.apply(e) }
            let before = state.values(asOf: t)
            // Add events at or after T, within the lateness the set allows for T to stay answerable.
            for i in 0..<(1 + random.below(20)) {
                let offset = i == 0 ? 0 : Int64(random.unit() * Double(set.allowedLateness.microseconds))
                state.apply(
                    Event(
                        eventID: "late\(i)", userID: "u", timestamp: t + TimeSpan(microseconds: offset),
                        type: .purchase, amount: 5))
            }
            #expect(same(before, state.values(asOf: t)), "trial \(trial)")
        }
    }
}
