/// A strftime-like pattern for dates as a shop writes them (`%d.%m.%Y %H:%M`): `%Y` year, `%y`
/// two-digit year (20yy), `%m` month, `%b`/`%B` month name (English), `%d` day, `%H` hour, `%I`
/// hour of 12 with `%p` AM/PM, `%M` minute, `%S` second, `%f` fraction of a second, `%z` zone offset
/// (`+02:00`, `+0200`, `Z`), `%%` a percent sign. A space matches any run of blanks; any other
/// character matches itself. Times without `%z` are UTC.
public struct DateFormat: Sendable, Equatable {
    public let pattern: String
    private let parts: [Part]

    enum Part: Equatable {
        case literal(UInt8), blanks
        case year, shortYear, month, monthName, day, hour, hour12, meridiem, minute, second, fraction, zone
    }

    /// Why a pattern cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ pattern: String) throws(Invalid) {
        self.pattern = pattern
        var parts = [Part]()
        var bytes = Array(pattern.utf8)[...]
        while let byte = bytes.popFirst() {
            if byte == 32 { parts.append(.blanks); continue }
            guard byte == UInt8(ascii: "%") else { parts.append(.literal(byte)); continue }
            guard let code = bytes.popFirst() else { throw Invalid(description: "date format `\(pattern)` ends with a lone %") }
            switch UInt8(code) {
            case UInt8(ascii: "Y"): parts.append(.year)
            case UInt8(ascii: "y"): parts.append(.shortYear)
            case UInt8(ascii: "m"): parts.append(.month)
            case UInt8(ascii: "b"), UInt8(ascii: "B"): parts.append(.monthName)
            case UInt8(ascii: "d"), UInt8(ascii: "e"): parts.append(.day)
            case UInt8(ascii: "H"): parts.append(.hour)
            case UInt8(ascii: "I"): parts.append(.hour12)
            case UInt8(ascii: "p"): parts.append(.meridiem)
            case UInt8(ascii: "M"): parts.append(.minute)
            case UInt8(ascii: "S"): parts.append(.second)
            case UInt8(ascii: "f"): parts.append(.fraction)
            case UInt8(ascii: "z"): parts.append(.zone)
            case UInt8(ascii: "%"): parts.append(.literal(code))
            default:
                throw Invalid(
                    description: "date format `\(pattern)`: %\(Character(Unicode.Scalar(code))) is not known (use %Y %y %m %b %d %H %I %p %M %S %f %z %%)")
            }
        }
        guard parts.contains(.year) || parts.contains(.shortYear), parts.contains(.month) || parts.contains(.monthName), parts.contains(.day) else {
            throw Invalid(description: "date format `\(pattern)` needs a year (%Y or %y), a month (%m or %b) and a day (%d)")
        }
        self.parts = parts
    }

    static let monthNames = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// The time `text` spells in this format, or nil when it does not match.
    public func parse(_ text: String) -> Timestamp? {
        var input = Array(text.utf8)[...]
        while input.first == 32 || input.first == 9 { input.removeFirst() }
        while input.last == 32 || input.last == 9 { input.removeLast() }
        var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, micros = 0, offset = 0
        var pm: Bool?
        func number(_ most: Int) -> Int? {
            let digits = input.prefix(most).prefix { $0 >= 48 && $0 <= 57 }
            guard !digits.isEmpty else { return nil }
            input = input.dropFirst(digits.count)
            return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        for part in parts {
            switch part {
            case .literal(let byte):
                guard input.popFirst() == byte else { return nil }
            case .blanks:
                guard input.first == 32 || input.first == 9 else { return nil }
                while input.first == 32 || input.first == 9 { input.removeFirst() }
            case .year:
                guard input.prefix(4).count == 4, let v = number(4), v >= 1000 else { return nil }
                year = v
            case .shortYear:
                guard let v = number(2) else { return nil }
                year = 2000 + v
            case .month:
                guard let v = number(2) else { return nil }
                month = v
            case .monthName:
                let letters = input.prefix { ($0 | 0x20) >= 97 && ($0 | 0x20) <= 122 }
                guard letters.count >= 3, let index = Self.monthNames.firstIndex(of: String(decoding: letters.prefix(3).map { $0 | 0x20 }, as: UTF8.self))
                else { return nil }
                input = input.dropFirst(letters.count)
                month = index + 1
            case .day:
                guard let v = number(2) else { return nil }
                day = v
            case .hour, .hour12:
                guard let v = number(2) else { return nil }
                hour = v
            case .meridiem:
                let two = input.prefix(2).map { $0 | 0x20 }
                guard two.count == 2, two[1] == UInt8(ascii: "m"), two[0] == UInt8(ascii: "a") || two[0] == UInt8(ascii: "p") else { return nil }
                pm = two[0] == UInt8(ascii: "p")
                input = input.dropFirst(2)
            case .minute:
                guard let v = number(2) else { return nil }
                minute = v
            case .second:
                guard let v = number(2) else { return nil }
                second = v
            case .fraction:
                let digits = input.prefix { $0 >= 48 && $0 <= 57 }
                guard !digits.isEmpty else { return nil }
                var scale = 100_000
                for d in digits.prefix(6) { micros += Int(d - 48) * scale; scale /= 10 }
                input = input.dropFirst(digits.count)
            case .zone:
                if input.first == UInt8(ascii: "Z") || input.first == UInt8(ascii: "z") { input.removeFirst(); continue }
                guard let sign = input.popFirst(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-"), let h = number(2) else { return nil }
                if input.first == UInt8(ascii: ":") { input.removeFirst() }
                let m = number(2) ?? 0
                guard h <= 18, m < 60 else { return nil }
                offset = (sign == UInt8(ascii: "-") ? -1 : 1) * (h * 60 + m)
            }
        }
        guard input.isEmpty else { return nil }
        if let pm {
            guard (1...12).contains(hour) else { return nil }
            hour = hour % 12 + (pm ? 12 : 0)
        }
        guard let local = Timestamp(year: year, month: month, day: day, hour: hour, minute: minute, second: second, microsecond: micros) else { return nil }
        return Timestamp(microseconds: local.microseconds - Int64(offset) * 60_000_000)
    }
}
