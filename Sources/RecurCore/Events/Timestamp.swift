#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A point in time in UTC, as microseconds since 1970-01-01T00:00:00Z (PostgreSQL's precision).
public struct Timestamp: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var microseconds: Int64

    public init(microseconds: Int64) { self.microseconds = microseconds }
    public init(seconds: Int64) { self.microseconds = seconds * 1_000_000 }
    public init(seconds: Double) { self.microseconds = Int64((seconds * 1_000_000).rounded()) }

    /// The current time, to the microsecond.
    public static var now: Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(microseconds: Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000)
    }

    /// Microseconds from 0001-01-01 to the end of 9999-12-31: every time Recur reads or stores, with
    /// room to subtract any two without overflow.
    public static let representable: ClosedRange<Int64> = -62_135_596_800_000_000...253_402_300_799_999_999
    public static let microsecondsPerSecond: Int64 = 1_000_000
    public static let microsecondsPerDay: Int64 = 86_400_000_000

    public var seconds: Double { Double(microseconds) / 1_000_000 }
    /// Whole days since the epoch (floor), the index of this instant's UTC day.
    public var dayIndex: Int64 {
        microseconds >= 0 ? microseconds / Self.microsecondsPerDay : (microseconds - Self.microsecondsPerDay + 1) / Self.microsecondsPerDay
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    public static func + (a: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(microseconds: a.microseconds + d.microseconds) }
    public static func - (a: Timestamp, d: TimeSpan) -> Timestamp { Timestamp(microseconds: a.microseconds - d.microseconds) }
    public static func - (a: Timestamp, b: Timestamp) -> TimeSpan { TimeSpan(microseconds: a.microseconds - b.microseconds) }

    /// Builds a time from calendar fields in UTC; nil when a field is out of range.
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, microsecond: Int = 0) {
        guard (1...12).contains(month), day >= 1, day <= Timestamp.daysIn(month: month, year: year),
            (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second),
            (0..<1_000_000).contains(microsecond)
        else { return nil }
        let days = Timestamp.daysFromCivil(year: year, month: month, day: day)
        let secs = days * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        microseconds = secs * 1_000_000 + Int64(microsecond)
    }

    /// Calendar fields in UTC.
    public var civil: (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int, microsecond: Int) {
        let day = dayIndex
        let rest = microseconds - day * Self.microsecondsPerDay
        let (y, m, d) = Timestamp.civilFromDays(day)
        let secs = Int(rest / 1_000_000)
        return (y, m, d, secs / 3600, secs / 60 % 60, secs % 60, Int(rest % 1_000_000))
    }

    /// ISO-8601 in UTC, e.g. `2024-03-01T12:00:00Z`, with fractional seconds only when present.
    public var iso8601: String {
        let c = civil
        var text = "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))T\(pad(c.hour, 2)):\(pad(c.minute, 2)):\(pad(c.second, 2))"
        if c.microsecond != 0 { text += "." + pad(c.microsecond, 6) }
        return text + "Z"
    }

    /// The date part only, e.g. `2024-03-01`.
    public var dateString: String {
        let c = civil
        return "\(pad(c.year, 4))-\(pad(c.month, 2))-\(pad(c.day, 2))"
    }

    public var description: String { iso8601 }

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }
}

/// A length of time in microseconds, e.g. a window, a horizon or a session gap.
public struct TimeSpan: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var microseconds: Int64
    public init(microseconds: Int64) { self.microseconds = microseconds }

    public static func seconds(_ n: Int64) -> TimeSpan { TimeSpan(microseconds: n * 1_000_000) }
    public static func minutes(_ n: Int64) -> TimeSpan { TimeSpan(microseconds: n * 60_000_000) }
    public static func hours(_ n: Int64) -> TimeSpan { TimeSpan(microseconds: n * 3_600_000_000) }
    public static func days(_ n: Int64) -> TimeSpan { TimeSpan(microseconds: n * Timestamp.microsecondsPerDay) }

    public var days: Double { Double(microseconds) / Double(Timestamp.microsecondsPerDay) }
    public static func < (a: TimeSpan, b: TimeSpan) -> Bool { a.microseconds < b.microseconds }
    public static func * (d: TimeSpan, n: Int64) -> TimeSpan { TimeSpan(microseconds: d.microseconds * n) }
    public static func + (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(microseconds: a.microseconds + b.microseconds) }
    public static func - (a: TimeSpan, b: TimeSpan) -> TimeSpan { TimeSpan(microseconds: a.microseconds - b.microseconds) }

    /// Reads `30d`, `12h`, `45m`, `90s`, `2w` (and combinations such as `1d12h`).
    public init?(parsing text: String) {
        var total: Int64 = 0
        var number: Int64? = nil
        let chars = Array(text.lowercased().filter { !$0.isWhitespace })
        var index = 0
        while index < chars.count {
            let char = chars[index]
            index += 1
            if let digit = char.wholeNumberValue, char.isASCII {
                let (product, overflow) = (number ?? 0).multipliedReportingOverflow(by: 10)
                guard !overflow else { return nil }
                number = product + Int64(digit)
                continue
            }
            guard let n = number else { return nil }
            let unit: Int64
            switch char {
            case "w": unit = 7 * Timestamp.microsecondsPerDay
            case "d": unit = Timestamp.microsecondsPerDay
            case "h": unit = 3_600_000_000
            case "m" where index < chars.count && chars[index] == "s":
                index += 1
                unit = 1_000
            case "m": unit = 60_000_000
            case "s": unit = 1_000_000
            default: return nil
            }
            let (part, overflow) = n.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            total += part
            number = nil
        }
        guard number == nil, total > 0 else { return nil }
        microseconds = total
    }

    /// The shortest form `init(parsing:)` reads back, e.g. `30d`, `90m`.
    public var description: String {
        let units: [(Int64, String)] = [(Timestamp.microsecondsPerDay, "d"), (3_600_000_000, "h"), (60_000_000, "m"), (1_000_000, "s")]
        for (size, suffix) in units where microseconds % size == 0 && microseconds != 0 {
            return "\(microseconds / size)\(suffix)"
        }
        return "\(microseconds)us"
    }
}

@inline(__always)
func pad(_ value: Int, _ width: Int) -> String {
    let digits = String(value)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
}
