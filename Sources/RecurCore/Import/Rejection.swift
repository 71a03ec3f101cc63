/// Why one row was not loaded; stored in `rejected_events.reason` as its description.
public enum Rejection: Error, Sendable, Hashable, CustomStringConvertible {
    case wrongColumnCount(expected: Int, found: Int)
    case missingField(CanonicalField)
    case badTimestamp(String)
    case timestampOutOfRange(String)
    /// `03/04/2025` where nothing in the input said which field is the day.
    case ambiguousDate(String)
    /// A slash date whose fields fit only the other order than the input's.
    case conflictingDateOrder(String, DateText.Order)
    /// A date that does not match `--date-format`.
    case dateFormatMismatch(String, String)
    case unknownEventType(String)
    /// An unknown type under `--unknown-events skip`: counted, never stored.
    case skippedEventType(String)
    case badNumber(CanonicalField, String)
    case negativeAmount(EventType)
    case amountTooLarge(String)
    case badQuantity(String)
    case fieldTooLong(CanonicalField)
    case invalidUTF8
    case binaryData
    case oversized(bytes: Int)
    case unterminatedQuote
    case invalidJSON(String)
    case nestedValue(CanonicalField)
    /// A stream message with no value at all (empty, or a null tombstone).
    case emptyMessage

    /// A short, stable name for counting reasons in summaries.
    public var kind: String {
        switch self {
        case .wrongColumnCount: "wrong column count"
        case .missingField: "missing field"
        case .badTimestamp: "bad timestamp"
        case .timestampOutOfRange: "timestamp out of range"
        case .ambiguousDate: "ambiguous date"
        case .conflictingDateOrder: "date order differs"
        case .dateFormatMismatch: "bad timestamp"
        case .unknownEventType: "unknown event type"
        case .skippedEventType: "skipped event type"
        case .badNumber: "bad number"
        case .negativeAmount: "negative amount"
        case .amountTooLarge: "amount too large"
        case .badQuantity: "bad quantity"
        case .fieldTooLong: "field too long"
        case .invalidUTF8: "invalid UTF-8"
        case .binaryData: "binary data"
        case .oversized: "record too long"
        case .unterminatedQuote: "unterminated quote"
        case .invalidJSON: "invalid JSON"
        case .nestedValue: "nested value"
        case .emptyMessage: "empty message"
        }
    }

    public var description: String {
        switch self {
        case .wrongColumnCount(let expected, let found): "wrong column count: expected \(expected), found \(found)"
        case .missingField(let field): "missing field: \(field.rawValue) is empty"
        case .badTimestamp(let text):
            "bad timestamp: `\(Self.clip(text))` is not a date or time Recur reads; say how the dates are written with --date-format (e.g. %d.%m.%Y %H:%M)"
        case .timestampOutOfRange(let text): "timestamp out of range: `\(Self.clip(text))` is before 1990 or in the future"
        case .ambiguousDate(let text):
            "ambiguous date: `\(Self.clip(text))` reads as day/month and as month/day, and no date of this input has a field over 12 to decide; give --day-first or --month-first (or --date-format)"
        case .conflictingDateOrder(let text, let order):
            "date order differs: `\(Self.clip(text))` is not \(order.rawValue) like the dates before it; give --day-first, --month-first or --date-format"
        case .dateFormatMismatch(let text, let pattern): "bad timestamp: `\(Self.clip(text))` does not match --date-format `\(pattern)`"
        case .unknownEventType(let text):
            "unknown event type: `\(Self.clip(text))` (expected view, cart, purchase or refund; map it with --event-map \(Self.clip(text))=view)"
        case .skippedEventType(let text): "skipped event type: `\(Self.clip(text))`"
        case .badNumber(let field, let text): "bad number: \(field.rawValue) `\(Self.clip(text))` is not a finite number"
        case .negativeAmount(let type): "negative amount for a \(type.rawValue)"
        case .amountTooLarge(let text): "amount too large: `\(Self.clip(text))` is over \(Int64(Event.largestAmount)), the most Recur takes for one event"
        case .badQuantity(let text): "bad quantity: `\(Self.clip(text))` (expected a whole number from 0 to 1000000)"
        case .fieldTooLong(let field): "field too long: \(field.rawValue) is over \(Event.longestField(field)) bytes"
        case .invalidUTF8: "invalid UTF-8 in the record"
        case .binaryData: "binary data: the record holds NUL or control bytes"
        case .oversized(let bytes): "record too long: over \(bytes) bytes (first 64 KiB kept)"
        case .unterminatedQuote: "unterminated quote: a quoted field never closes"
        case .invalidJSON(let message): message
        case .nestedValue(let field): "nested value: \(field.rawValue) holds an object or array"
        case .emptyMessage: "empty message: the message has no value (empty or null)"
        }
    }

    static func clip(_ text: String) -> String { text.count > 40 ? String(text.prefix(40)) + "…" : text }
}
