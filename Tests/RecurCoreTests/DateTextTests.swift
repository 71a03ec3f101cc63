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
