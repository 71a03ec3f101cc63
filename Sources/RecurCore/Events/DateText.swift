/// Reads the date and time spellings found in shop exports into a UTC `Timestamp`.
///
/// ISO-8601 (`2024-03-01`, `2024-03-01T12:00:00.5Z`, `2024-03-01 12:00:00+02:00`, `… UTC`),
/// `YYYYMMDD`, `M/D/YYYY H:MM[:SS] [AM|PM]`, `YYYY/MM/DD`, and epoch seconds or milliseconds.
/// Times without a zone are UTC. `D/M/YYYY` is read when told the day comes first.
public enum DateText {
    /// Which of a slash date's first two fields is the month: `03/04/2025` is 4 March or 3 April.
    public enum Order: String, Sendable, Equatable {
        case monthFirst = "month-first", dayFirst = "day-first"
    }

    public static func parse(_ text: String) -> Timestamp? { parse(text, order: .monthFirst) }

    public static func parse(_ text: String, order: Order) -> Timestamp? {
        if let parsed = text.utf8.withContiguousStorageIfAvailable({ parse(bytes: $0, order: order) }) { return parsed }
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { parse(bytes: $0, order: order) }
    }

    /// The first two fields of a slash date that does not start with a year (`3/4/2025`): what tells
    /// a day-first file from a month-first one. Nil for every other spelling.
    public static func slashFields(_ text: String) -> (first: Int, second: Int)? {
        var utf8 = text.utf8.drop { $0 == 32 || $0 == 9 }[...]
        func number() -> Int? {
            let digits = utf8.prefix { isDigit($0) }
            guard (1...2).contains(digits.count) else { return nil }
            utf8 = utf8.dropFirst(digits.count)
            return digits.reduce(0) { $0 * 10 + Int($1 - 48) }
        }
        guard let first = number(), utf8.first == UInt8(ascii: "/") else { return nil }
        utf8 = utf8.dropFirst()
        guard let second = number(), utf8.first == UInt8(ascii: "/") else { return nil }
        return (first, second)
    }

    public static func parse(bytes input: UnsafeBufferPointer<UInt8>, order: Order = .monthFirst) -> Timestamp? {
        var start = 0, end = input.count
        while start < end, isSpace(input[start]) { start += 1 }
        while end > start, isSpace(input[end - 1]) { end -= 1 }
        // A trailing zone name that means UTC.
        if end - start > 3 {
            let (a, b, c) = (input[end - 3] & 0xDF, input[end - 2] & 0xDF, input[end - 1] & 0xDF)
            if (a, b, c) == (85, 84, 67) || (a, b, c) == (71, 77, 84) {  // UTC, GMT in any case
                end -= 3
                while end > start, isSpace(input[end - 1]) { end -= 1 }
            }
        }
        guard start < end else { return nil }
        var scanner = Scanner(bytes: input, position: start, end: end)
        if input[start..<end].allSatisfy({ isDigit($0) || $0 == UInt8(ascii: ".") }) { return epochOrCompact(&scanner) }
        guard let first = scanner.number(maxDigits: 4) else { return nil }
        if scanner.peek == UInt8(ascii: "/") {
            return first.digits == 4 ? yearFirst(year: first.value, &scanner, separator: UInt8(ascii: "/")) : slashDate(first: first.value, &scanner, order)
        }
        guard first.digits == 4, scanner.peek == UInt8(ascii: "-") else { return nil }
        return yearFirst(year: first.value, &scanner, separator: UInt8(ascii: "-"))
    }

    private static func epochOrCompact(_ scanner: inout Scanner) -> Timestamp? {
        guard let whole = scanner.number(maxDigits: 16) else { return nil }
        var fraction = 0.0
        if scanner.peek == UInt8(ascii: ".") {
            scanner.advance()
            var scale = 0.1
            while let d = scanner.digit() { fraction += Double(d) * scale; scale /= 10 }
        }
        guard scanner.atEnd else { return nil }
        switch whole.digits {
        case 8 where fraction == 0:
            let v = whole.value
            return Timestamp(year: v / 10_000, month: v / 100 % 100, day: v % 100)
        case 9, 10:
            return Timestamp(microseconds: Int64(whole.value) * 1_000_000 + Int64((fraction * 1_000_000).rounded()))
        case 12, 13:
            return Timestamp(microseconds: Int64(whole.value) * 1_000 + Int64((fraction * 1_000).rounded()))
        case 15 where fraction == 0, 16 where fraction == 0:
            return Timestamp(microseconds: Int64(whole.value))
        default:
            return nil
        }
    }

    private static func yearFirst(year: Int, _ scanner: inout Scanner, separator: UInt8) -> Timestamp? {
        guard scanner.take(separator), let month = scanner.number(maxDigits: 2), scanner.take(separator),
            let day = scanner.number(maxDigits: 2)
        else { return nil }
        if scanner.atEnd { return Timestamp(year: year, month: month.value, day: day.value) }
        guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")) || scanner.skipSpaces() else { return nil }
        return timeOfDay(year: year, month: month.value, day: day.value, &scanner)
    }

    private static func slashDate(first: Int, _ scanner: inout Scanner, _ order: Order) -> Timestamp? {
        guard scanner.take(UInt8(ascii: "/")), let second = scanner.number(maxDigits: 2), scanner.take(UInt8(ascii: "/")),
            let yearField = scanner.number(maxDigits: 4), yearField.digits == 4 || yearField.digits == 2
        else { return nil }
        let (month, day) = order == .monthFirst ? (first, second.value) : (second.value, first)
        let year = yearField.digits == 2 ? 2000 + yearField.value : yearField.value
        if scanner.atEnd { return Timestamp(year: year, month: month, day: day) }
        guard scanner.skipSpaces() else { return nil }
        return timeOfDay(year: year, month: month, day: day, &scanner)
    }

    private static func timeOfDay(year: Int, month: Int, day: Int, _ scanner: inout Scanner) -> Timestamp? {
        guard var hour = scanner.number(maxDigits: 2), scanner.take(UInt8(ascii: ":")),
            let minute = scanner.number(maxDigits: 2), minute.digits == 2
        else { return nil }
        var second = 0, micros = 0
        if scanner.take(UInt8(ascii: ":")) {
            guard let s = scanner.number(maxDigits: 2), s.digits == 2 else { return nil }
            second = s.value
            if scanner.take(UInt8(ascii: ".")) || scanner.take(UInt8(ascii: ",")) {
                var scale = 100_000, seen = 0
                while let d = scanner.digit() { if seen < 6 { micros += d * scale; scale /= 10 }; seen += 1 }
                guard seen > 0 else { return nil }
            }
        }
        _ = scanner.skipSpaces()
        if let meridiem = scanner.meridiem() {
            guard (1...12).contains(hour.value) else { return nil }
            hour.value = hour.value % 12 + (meridiem ? 12 : 0)
            _ = scanner.skipSpaces()
        }
        var offsetMinutes = 0
        if scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
        } else if let sign = scanner.sign() {
            guard let h = scanner.number(maxDigits: 2), h.digits == 2 else { return nil }
            var m = 0
            _ = scanner.take(UInt8(ascii: ":"))
            if let mm = scanner.number(maxDigits: 2) { m = mm.value }
            guard h.value <= 18, m < 60 else { return nil }
            offsetMinutes = sign * (h.value * 60 + m)
        }
        guard scanner.atEnd,
            let local = Timestamp(
                year: year, month: month, day: day, hour: hour.value, minute: minute.value,
                second: min(second, 59), microsecond: micros)
        else { return nil }
        return Timestamp(microseconds: local.microseconds - Int64(offsetMinutes) * 60_000_000)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }
    static func isSpace(_ b: UInt8) -> Bool { b == 32 || b == 9 }

    private struct Scanner {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        let end: Int

        var atEnd: Bool { position >= end }
        var peek: UInt8? { position < end ? bytes[position] : nil }
        mutating func advance() { position += 1 }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            position += 1
            return true
        }

        mutating func skipSpaces() -> Bool {
            let before = position
            while let b = peek, DateText.isSpace(b) { position += 1 }
            return position > before
        }

        mutating func digit() -> Int? {
            guard let b = peek, DateText.isDigit(b) else { return nil }
            position += 1
            return Int(b - 48)
        }

        mutating func number(maxDigits: Int) -> (value: Int, digits: Int)? {
            var value = 0, digits = 0
            while digits < maxDigits, let d = digit() { value = value * 10 + d; digits += 1 }
            return digits == 0 ? nil : (value, digits)
        }

        mutating func sign() -> Int? {
            if take(UInt8(ascii: "+")) { return 1 }
            if take(UInt8(ascii: "-")) { return -1 }
            return nil
        }

        /// AM/PM: true for PM.
        mutating func meridiem() -> Bool? {
            guard position + 1 < end, bytes[position + 1] & 0xDF == UInt8(ascii: "M") else { return nil }
            switch bytes[position] & 0xDF {
            case UInt8(ascii: "A"): position += 2; return false
            case UInt8(ascii: "P"): position += 2; return true
            default: return nil
            }
        }
    }
}
