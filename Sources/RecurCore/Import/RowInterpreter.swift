import Foundation

/// Turns one record's field values into a validated canonical event, or says why it cannot.
struct RowInterpreter {
    let defaultType: EventType?
    let earliest = Timestamp(year: 1990, month: 1, day: 1)!
    let latest: Timestamp
    var eventMap: [String: EventType] = [:]
    var unknownEvents: ImportOptions.UnknownEventPolicy = .reject

    init(defaultType: EventType?, now: Timestamp = Timestamp.now, options: ImportOptions? = nil) {
        self.defaultType = defaultType
        latest = now + .days(2)
        if let options {
            eventMap = options.eventMap
            unknownEvents = options.unknownEvents
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

    /// `value(field)` gives the trimmed text of a mapped field, or nil when the field is absent or empty.
    func event(_ value: (CanonicalField) -> String?) -> Result<Event, Rejection> {
        for field in [CanonicalField.userID, .productID, .sessionID, .category, .device, .eventID, .order] {
            if let text = value(field), text.utf8.count > Event.longestField(field) { return .failure(.fieldTooLong(field)) }
        }
        guard let user = value(.userID) else { return .failure(.missingField(.userID)) }
        guard let timeText = value(.timestamp) else { return .failure(.missingField(.timestamp)) }
        guard let time = DateText.parse(timeText) else { return .failure(.badTimestamp(timeText)) }
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
