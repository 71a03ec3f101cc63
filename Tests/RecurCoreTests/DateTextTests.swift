import Testing

@testable import RecurCore

@Suite struct DateTextTests {
    let noon = Timestamp(year: 2024, month: 3, day: 1, hour: 12, minute: 0, second: 0)!

    @Test(arguments: [
        "2024-03-01T12:00:00Z", "2024-03-01T12:00:00", "2024-03-01 12:00:00", "2024-03-01 12:00", "2024-03-01T14:00:00+02:00",
        "2024-03-01T07:00:00-0500", "2024-03-01 12:00:00 UTC", "2024-03-01T12:00:00.000Z", "3/1/2024 12:00", "03/01/2024 12:00:00",
        "3/1/2024 12:00 PM", "1709294400", "1709294400000", "1709294400.0", "2024/03/01 12:00:00", "  2024-03-01T12:00:00Z  "
    ])
    func readsEverySpellingOfTheSameInstant(text: String) {
        #expect(DateText.parse(text) == noon, "\(text)")
    }

    @Test func readsDatesWithoutTime() {
        let midnight = Timestamp(year: 2024, month: 3, day: 1)!
        #expect(DateText.parse("20240301") == midnight)
        #expect(DateText.parse("2024-03-01") == midnight)
        #expect(DateText.parse("3/1/2024") == midnight)
        #expect(DateText.parse("3/1/2024 12:30 AM") == Timestamp(year: 2024, month: 3, day: 1, hour: 0, minute: 30))
    }

    @Test func keepsFractionsOfSeconds() {
        #expect(DateText.parse("2024-03-01T12:00:00.25Z")?.microseconds == noon.microseconds + 250_000)
        #expect(DateText.parse("1709294400123")?.microseconds == noon.microseconds + 123_000)
    }

    @Test(arguments: [
        "", "yesterday", "2024-13-01", "2024-02-30", "20241301", "12345", "2024-03-01T25:00:00", "3/1/2024 13:00 PM",
        "2024-03-01T12:00:00+99:00", "2024-03-01 12:00:00 garbage", "1/2/3", "--", "2024-3"
    ])
    func refusesWhatIsNotADate(text: String) {
        #expect(DateText.parse(text) == nil, "\(text)")
    }
}

/// Dates as shops write them: day-first slash dates, and patterns.
@Suite struct DateOrderAndFormatTests {
    @Test func slashDatesReadInEitherOrder() {
        #expect(DateText.parse("03/04/2025", order: .monthFirst) == Timestamp(year: 2025, month: 3, day: 4))
        #expect(DateText.parse("03/04/2025", order: .dayFirst) == Timestamp(year: 2025, month: 4, day: 3))
        #expect(DateText.parse("31/12/2025 23:59", order: .dayFirst) == Timestamp(year: 2025, month: 12, day: 31, hour: 23, minute: 59))
        #expect(DateText.parse("31/12/2025") == nil, "month-first by default: there is no month 31")
        #expect(DateText.slashFields(" 31/12/2025 10:00")! == (31, 12))
        #expect(DateText.slashFields("2025/12/31") == nil && DateText.slashFields("2025-12-31") == nil && DateText.slashFields("1/2") == nil)
    }

    @Test func patternsReadWhatTheySay() throws {
        let dotted = try DateFormat("%d.%m.%Y %H:%M")
        #expect(dotted.parse("01.02.2025 10:30") == Timestamp(year: 2025, month: 2, day: 1, hour: 10, minute: 30))
        #expect(dotted.parse("01.02.2025  10:30") != nil, "a space matches a run of blanks")
        #expect(dotted.parse("01.02.2025") == nil && dotted.parse("01/02/2025 10:30") == nil && dotted.parse("32.01.2025 10:30") == nil)
        let named = try DateFormat("%d %b %Y %I:%M %p %z")
        #expect(named.parse("5 Mar 2025 1:05 PM +02:00") == Timestamp(year: 2025, month: 3, day: 5, hour: 11, minute: 5))
        #expect(named.parse("5 march 2025 12:00 am Z") == Timestamp(year: 2025, month: 3, day: 5))
        let short = try DateFormat("%y%m%d%H%M%S.%f")
        #expect(short.parse("250102030405.25") == Timestamp(year: 2025, month: 1, day: 2, hour: 3, minute: 4, second: 5, microsecond: 250_000))
        #expect(throws: DateFormat.Invalid.self) { try DateFormat("%Y-%m") }
        #expect(throws: DateFormat.Invalid.self) { try DateFormat("%Y-%m-%d %Q") }
        #expect(throws: DateFormat.Invalid.self) { try DateFormat("%Y-%m-%d %") }
    }
}
