import Testing

@testable import RecurCore

@Suite struct TimestampTests {
    @Test func civilRoundTripAcrossCenturiesAndLeapDays() {
        let cases: [(Int, Int, Int)] = [(1970, 1, 1), (2000, 2, 29), (1969, 12, 31), (2024, 12, 31), (2100, 3, 1), (1600, 2, 29)]
        for (y, m, d) in cases {
            let t = Timestamp(year: y, month: m, day: d, hour: 13, minute: 7, second: 9, microsecond: 42)!
            let c = t.civil
            #expect(c.year == y && c.month == m && c.day == d && c.hour == 13 && c.minute == 7 && c.second == 9 && c.microsecond == 42)
        }
    }

    @Test func knownEpochValues() {
        #expect(Timestamp(year: 1970, month: 1, day: 1)!.microseconds == 0)
        #expect(Timestamp(year: 2024, month: 3, day: 1, hour: 12)!.microseconds == 1_709_294_400 * 1_000_000)
        #expect(Timestamp(year: 1969, month: 12, day: 31)!.dayIndex == -1)
        #expect(Timestamp(microseconds: -1).dayIndex == -1)
    }

    @Test func rejectsImpossibleDates() {
        #expect(Timestamp(year: 2023, month: 2, day: 29) == nil)
        #expect(Timestamp(year: 2024, month: 13, day: 1) == nil)
        #expect(Timestamp(year: 2024, month: 4, day: 31) == nil)
        #expect(Timestamp(year: 2024, month: 1, day: 1, hour: 24) == nil)
    }

    @Test func iso8601() {
        #expect(Timestamp(year: 2024, month: 3, day: 1, hour: 9, minute: 5, second: 0)!.iso8601 == "2024-03-01T09:05:00Z")
        #expect(Timestamp(microseconds: 1_500_000).iso8601 == "1970-01-01T00:00:01.500000Z")
    }

    @Test func timeSpanParsing() {
        #expect(TimeSpan(parsing: "30d") == .days(30))
        #expect(TimeSpan(parsing: "2w") == .days(14))
        #expect(TimeSpan(parsing: "1d12h") == .hours(36))
        #expect(TimeSpan(parsing: "30m")?.description == "30m")
        #expect(TimeSpan(parsing: "90d")?.description == "90d")
        for bad in ["", "d", "30", "30x", "-5d", "0d", "99999999999999999999d"] {
            #expect(TimeSpan(parsing: bad) == nil, "\(bad)")
        }
    }
}
