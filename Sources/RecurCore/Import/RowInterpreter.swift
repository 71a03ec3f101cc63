import Foundation

/// Turns one record's field values into a validated canonical event, or says why it cannot.
struct RowInterpreter {
    let defaultType: EventType?
    let earliest = Timestamp(year: 1990, month: 1, day: 1)!
    let latest: Timestamp
    var eventMap: [String: EventType] = [:]
    var unknownEvents: ImportOptions.UnknownEventPolicy = .reject
    var dates: ImportOptions.DateReading = .automatic

    init(defaultType: EventType?, now: Timestamp = Timestamp.now, options: ImportOptions? = nil) {
        self.defaultType = defaultType
        latest = now + .days(2)
        if let options {
            eventMap = options.eventMap
            unknownEvents = options.unknownEvents
            dates = options.dates
        }
    }

    /// The source's type name through the user's map, then the built-in aliases, then the unknown-type policy.
    func eventType(_ text: String) -> Result<EventType, Rejection> {
        if !eventMap.isEmpty, let mapped = eventMap[CanonicalField.normalize(text)] { return .success(mapped) }
        if let matched = EventType.matching(text) { return .success(matched) }
        switch unknownEvents {
        case .reject: return .failure(.unknownEventType(text))
        case .view: return .success(.view)
        case .skip: return .failure(.skippedEventType(text))
        }
    }

    /// The time a date field spells. Read automatically, a slash date whose first field is over 12
    /// makes `order` day-first and one whose second is makes it month-first; one that fits both is read
    /// in the order already found, or refused while there is none.
    func time(_ text: String, order: inout DateText.Order?) -> Result<Timestamp, Rejection> {
        switch dates {
        case .format(let format):
            return format.parse(text).map { .success($0) } ?? .failure(.dateFormatMismatch(text, format.pattern))
        case .order(let given):
            return DateText.parse(text, order: given).map { .success($0) } ?? .failure(.badTimestamp(text))
        case .automatic:
            guard let (first, second) = DateText.slashFields(text) else {
                return DateText.parse(text).map { .success($0) } ?? .failure(.badTimestamp(text))
            }
            let evidence: DateText.Order? = first > 12 ? .dayFirst : second > 12 ? .monthFirst : nil
            if let evidence, let known = order, known != evidence { return .failure(.conflictingDateOrder(text, known)) }
            if let evidence { order = evidence }
            guard let reading = order else { return .failure(.ambiguousDate(text)) }
            return DateText.parse(text, order: reading).map { .success($0) } ?? .failure(.badTimestamp(text))
        }
    }

    /// One record read alone: no other row tells which field of a slash date is the day.
    func event(_ value: (CanonicalField) -> String?) -> Result<Event, Rejection> {
        var order: DateText.Order?
        return event(order: &order, value)
    }

    /// `value(field)` gives the trimmed text of a mapped field, or nil when the field is absent or empty.
    func event(order: inout DateText.Order?, _ value: (CanonicalField) -> String?) -> Result<Event, Rejection> {
        for field in [CanonicalField.userID, .productID, .sessionID, .category, .device, .eventID, .order] {
            if let text = value(field), text.utf8.count > Event.longestField(field) { return .failure(.fieldTooLong(field)) }
        }
        guard let user = value(.userID) else { return .failure(.missingField(.userID)) }
        guard let timeText = value(.timestamp) else { return .failure(.missingField(.timestamp)) }
        let time: Timestamp
        switch self.time(timeText, order: &order) {
        case .success(let t): time = t
        case .failure(let rejection): return .failure(rejection)
        }
        guard time >= earliest, time <= latest else { return .failure(.timestampOutOfRange(timeText)) }

        var type: EventType
        if let typeText = value(.eventType) {
            switch eventType(typeText) {
            case .success(let matched): type = matched
            case .failure(let rejection): return .failure(rejection)
            }
        } else if let defaultType {
            type = defaultType
        } else {
            return .failure(.missingField(.eventType))
        }
        // Invoice numbers starting with C mark cancellations (as in the UCI Online Retail exports).
        let order = value(.order)
        if let order, order.first == "C" || order.first == "c", order.dropFirst().first?.isNumber == true, type == .purchase {
            type = .refund
        }

        var quantity = 1
        if let text = value(.quantity) {
            guard let q = Self.wholeNumber(text), abs(q) <= 1_000_000 else { return .failure(.badQuantity(text)) }
            if q < 0 {
                // A negative quantity is a return line; anywhere else it is an error.
                guard type == .refund || type == .purchase && order != nil else { return .failure(.badQuantity(text)) }
                type = .refund
            }
            quantity = abs(q)
        }

        var amount: Double?
        if let text = value(.amount) {
            guard let a = Self.number(text) else { return .failure(.badNumber(.amount, text)) }
            amount = a
        } else if let text = value(.price) {
            guard let p = Self.number(text) else { return .failure(.badNumber(.price, text)) }
            amount = p * Double(quantity)
        }
        if var a = amount {
            if a < 0 {
                guard type == .refund else { return .failure(.negativeAmount(type)) }
                a = -a
            }
            guard a <= Event.largestAmount else { return .failure(.amountTooLarge(value(.amount) ?? value(.price) ?? "")) }
            amount = (a * 10_000).rounded() / 10_000
        }
        // A purchase without an amount is still a purchase (RetailRocket's transactions, most clickstreams):
        // it counts in counts and recency, and is missing only in money features.

        return .success(
            Event(
                eventID: value(.eventID) ?? "", userID: user, timestamp: time, type: type, amount: amount,
                quantity: quantity, productID: value(.productID), sessionID: value(.sessionID),
                category: value(.category), device: value(.device)))
    }

    /// A finite decimal number; a thousands separator or currency sign makes it unreadable on purpose.
    static func number(_ text: String) -> Double? {
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func wholeNumber(_ text: String) -> Int? {
        if let n = Int(text) { return n }
        guard let d = Double(text), d.isFinite, d == d.rounded(), abs(d) < 1e9 else { return nil }
        return Int(d)
    }
}
