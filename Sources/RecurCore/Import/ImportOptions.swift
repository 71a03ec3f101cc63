import Foundation

/// How to read an input file: its format, whether it has a header, and which column is which.
public struct ImportOptions: Sendable {
    /// The record format; nil means detect it from the file name and first line.
    public enum Format: String, Sendable, CaseIterable {
        case csv, tsv, semicolon, whitespace, jsonl

        var delimiter: FieldSplitter.Delimiter? {
            switch self {
            case .csv: .comma
            case .tsv: .tab
            case .semicolon: .semicolon
            case .whitespace: .whitespace
            case .jsonl: nil
            }
        }
    }

    /// Whether the first record names the columns.
    public enum Header: String, Sendable { case auto, present, absent }

    public var format: Format?
    public var header: Header = .auto
    /// Positional column meanings, e.g. `user_id,ts,quantity,amount`; `_` skips a column.
    public var columns: [String]?
    /// Canonical field to source column name, e.g. `ts` → `order_date`.
    public var renames: [CanonicalField: String] = [:]
    /// The event type of every row when the source has no such column.
    public var eventType: EventType?
    /// Rows per COPY batch (one transaction each).
    public var batchSize = 50_000
    /// The source's own event type names, e.g. `search` → view; looked up before the built-in aliases.
    public var eventMap: [String: EventType] = [:]
    /// What to do with an event type that neither the map nor the aliases know.
    public var unknownEvents: UnknownEventPolicy = .reject
    /// How dates are written.
    public var dates: DateReading = .automatic

    /// How dates are written: the spellings DateText knows, with `D/M/YYYY` against `M/D/YYYY` told
    /// apart from the file (a first field over 12 means day first), or said outright, or a pattern.
    public enum DateReading: Sendable, Equatable {
        case automatic
        case order(DateText.Order)
        case format(DateFormat)
    }

    /// What happens to a record whose event type is not known.
    public enum UnknownEventPolicy: String, Sendable, CaseIterable {
        /// Stored in `rejected_events` with the type named in the reason.
        case reject
        /// Counted as a view (page types of a clickstream: search, catalog, home, …).
        case view
        /// Counted in the summary, stored nowhere.
        case skip
    }

    public init() {}

    /// Adds `name=type` pairs such as `search=view,catalog=view`.
    public mutating func addEventMap(_ text: String) throws(ImportError) {
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let type = EventType(rawValue: parts[1].lowercased()) ?? EventType.matching(parts[1]) else {
                throw .mapping(path: "--event-map", line: 1, message: "expected NAME=TYPE with TYPE one of view, cart, purchase, refund; found `\(pair)`")
            }
            eventMap[CanonicalField.normalize(parts[0])] = type
        }
    }

    /// Applies a mapping file's settings under the ones already given on the command line.
    public mutating func merge(_ file: MappingFile) {
        if format == nil { format = file.format }
        if header == .auto, let h = file.header { header = h }
        if columns == nil { columns = file.columns }
        if eventType == nil { eventType = file.eventType }
        for (name, type) in file.eventMap where eventMap[name] == nil { eventMap[name] = type }
        if unknownEvents == .reject, let policy = file.unknownEvents { unknownEvents = policy }
        if dates == .automatic, let reading = file.dates { dates = reading }
        for (field, column) in file.renames where renames[field] == nil { renames[field] = column }
    }
}

/// A small `key = value` file naming the columns of an export, e.g. `user_id = "Customer ID"`.
///
/// Keys: any canonical field name (its value is the source column), `format`, `header` (true/false),
/// `columns` (positional list), `event_type`, `unknown_events` (reject, view or skip), `date_format`
/// (a DateFormat pattern), `day_first` (true/false) and, under an
/// `[event_map]` section, `name = "type"` lines such as `search = "view"`. `#` starts a comment. The syntax is a subset of TOML.
public struct MappingFile: Sendable {
    public var format: ImportOptions.Format?
    public var header: ImportOptions.Header?
    public var columns: [String]?
    public var eventType: EventType?
    public var renames: [CanonicalField: String] = [:]
    public var eventMap: [String: EventType] = [:]
    public var unknownEvents: ImportOptions.UnknownEventPolicy?
    public var dates: ImportOptions.DateReading?

    public init(path: String, text: String) throws(ImportError) {
        var section = ""
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            func fail(_ expected: String) -> ImportError { .mapping(path: path, line: offset + 1, message: expected) }
            if trimmed.isEmpty { continue }
            if trimmed.hasPrefix("[") {
                section = trimmed.trimmingCharacters(in: CharacterSet(charactersIn: "[] "))
                guard section == "event_map" || section == "columns" || section == "mapping" else {
                    throw fail("unknown section [\(section)]; expected [event_map]")
                }
                continue
            }
            let parts = trimmed.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else { throw fail("expected `field = \"column\"`, found `\(trimmed)`") }
            let key = Self.unquote(parts[0]), value = Self.unquote(parts[1])
            if section == "event_map" {
                guard let type = EventType(rawValue: value.lowercased()) ?? EventType.matching(value) else {
                    throw fail("event type `\(key)` maps to `\(value)`; expected view, cart, purchase or refund")
                }
                eventMap[CanonicalField.normalize(key)] = type
                continue
            }
            switch key {
            case "unknown_events":
                guard let policy = ImportOptions.UnknownEventPolicy(rawValue: value) else {
                    throw fail("unknown_events must be reject, view or skip; found `\(value)`")
                }
                unknownEvents = policy
            case "date_format":
                do { dates = .format(try DateFormat(value)) } catch { throw fail(error.description) }
            case "day_first":
                guard value == "true" || value == "false" else { throw fail("day_first must be true or false; found `\(value)`") }
                dates = .order(value == "true" ? .dayFirst : .monthFirst)
            case "format":
                guard let f = ImportOptions.Format(rawValue: value) else {
                    throw fail("format must be one of csv, tsv, semicolon, whitespace, jsonl; found `\(value)`")
                }
                format = f
            case "header":
                guard value == "true" || value == "false" else { throw fail("header must be true or false; found `\(value)`") }
                header = value == "true" ? .present : .absent
            case "columns":
                columns = value.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).split(separator: ",").map {
                    Self.unquote($0.trimmingCharacters(in: .whitespaces))
                }
            case "event_type":
                guard let type = EventType.matching(value) else { throw fail("event_type must be view, cart, purchase or refund; found `\(value)`") }
                eventType = type
            default:
                guard let field = CanonicalField(rawValue: key) ?? CanonicalField.matching(key) else {
                    let known = CanonicalField.allCases.map(\.rawValue).joined(separator: ", ")
                    throw fail("unknown field `\(key)`; expected one of \(known), format, header, columns, event_type, date_format, day_first")
                }
                renames[field] = value
            }
        }
    }

    static func unquote(_ text: String) -> String {
        if text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" {
            return String(text.dropFirst().dropLast())
        }
        return text
    }
}
