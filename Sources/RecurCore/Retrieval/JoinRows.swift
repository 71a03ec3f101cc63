import Foundation

/// The user's own rows for `recur features join` and `recur train --rows`: a CSV, TSV, semicolon or
/// JSON Lines file (or stdin, gzipped or not) with a header, one row per (user, time) question.
///
/// Every column is kept, in order, as the row's `values`; the user and time columns are found by
/// name (given, or the names `events import` recognises). A row whose user or time cannot be read
/// is handed back as a rejection with its line and reason, never skipped silently.
public final class JoinRows {
    /// One row: its place in the input, the question it asks, and every column's text.
    public struct Row {
        /// 0-based among the rows read (rejected rows included): the output keeps this order.
        public var number: Int
        public var line: Int
        public var user: String
        public var time: Timestamp
        /// Each column's text, in `columns` order (nil: absent or JSON null).
        public var values: [String?]
        /// JSON Lines only: each member as written, to pass through unchanged.
        public var rawMembers: [(key: String, raw: String)]?
        /// Comma-separated input only: the row as written (quotes and all), to pass through unchanged.
        public var record: [UInt8]?
    }

    /// A row that asks nothing Recur can answer.
    public struct Rejected: Error, CustomStringConvertible {
        public var line: Int
        public var reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    public enum Format: String, Sendable { case csv, tsv, semicolon, jsonl }

    public let path: String
    public let format: Format
    /// The column names: the header (CSV) or the first object's keys (JSON Lines).
    public private(set) var columns: [String]
    public let userColumn: Int
    public let timeColumn: Int
    private let reader: RecordReader
    private let splitter: FieldSplitter?
    private var pendingFirst: RecordReader.Record?
    private var count = 0

    /// Opens `path` (`-` is standard input) and reads its header.
    public init(path: String, userColumn: String? = nil, timeColumn: String? = nil) throws {
        self.path = path
        let input = try InputFile(path: path)
        let probe = RecordReader(input: input, joinsQuotedLines: true)
        guard let first = try probe.next() else { throw JoinError.emptyRows(path) }
        reader = probe
        switch EventImporter.detectFormat(path: path, firstRecord: first.bytes) {
        case .jsonl: format = .jsonl
        case .tsv: format = .tsv
        case .semicolon: format = .semicolon
        default: format = .csv
        }
        if format == .jsonl {
            let members: [(key: String, raw: String, value: String?)]
            do { members = try JSONLineParser.members(first.bytes) } catch { throw JoinError.badHeader(path, "the first line is not a JSON object: \(error)") }
            columns = members.map(\.key)
            splitter = nil
            pendingFirst = first
        } else {
            let splitter = FieldSplitter(format == .tsv ? .tab : format == .semicolon ? .semicolon : .comma)
            var fields = [FieldSplitter.Field]()
            guard splitter.split(first.bytes, into: &fields) else { throw JoinError.badHeader(path, "the header has a broken quote") }
            var names = fields.map { FieldSplitter.text(of: $0, in: first.bytes) }
            // A byte-order mark is not part of the first column's name.
            if let head = names.first, head.hasPrefix("\u{FEFF}") { names[0] = String(head.dropFirst()) }
            columns = names
            self.splitter = splitter
        }
        self.userColumn = try Self.find(userColumn, .userID, in: columns, path: path)
        self.timeColumn = try Self.find(timeColumn, .timestamp, in: columns, path: path)
    }

    private static func find(_ name: String?, _ field: CanonicalField, in columns: [String], path: String) throws -> Int {
        if let name {
            guard let index = columns.firstIndex(of: name) else { throw JoinError.missingColumn(path, name, columns) }
            return index
        }
        guard let index = columns.firstIndex(where: { CanonicalField.matching($0) == field }) else {
            let option = field == .userID ? "--user-column" : "--time-column"
            throw JoinError.noColumnFor(path, field == .userID ? "user id" : "time", option, columns)
        }
        return index
    }

    /// The next row, a rejection, or nil at the end.
    public func next() throws -> Result<Row, Rejected>? {
        let record: RecordReader.Record
        if let first = pendingFirst {
            record = first
            pendingFirst = nil
        } else {
            guard let next = try reader.next() else { return nil }
            record = next
        }
        let number = count
        count += 1
        func reject(_ reason: String) -> Result<Row, Rejected> { .failure(Rejected(line: record.line, reason: reason)) }
        if record.isOversized { return reject("the row is over \(reader.maximumLength) bytes") }
        if record.hasUnterminatedQuote { return reject("a quoted field never closes") }
        var values: [String?]
        var raw: [(key: String, raw: String)]?
        if let splitter {
            var fields = [FieldSplitter.Field]()
            if record.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { return reject("the row is empty") }
            guard splitter.split(record.bytes, into: &fields) else { return reject("a quoted field is malformed") }
            guard fields.count == columns.count else { return reject("\(fields.count) fields where the header has \(columns.count)") }
            values = fields.map { FieldSplitter.text(of: $0, in: record.bytes) }
        } else {
            let members: [(key: String, raw: String, value: String?)]
            do { members = try JSONLineParser.members(record.bytes) } catch { return reject("not a JSON object: \(error)") }
            var byKey = [String: String?]()
            for member in members { byKey[member.key] = member.value }
            values = columns.map { byKey[$0] ?? nil }
            for member in members where !columns.contains(member.key) {
                return reject("the key \(member.key.prefix(40)) is not in the first row's keys")
            }
            raw = members.map { ($0.key, $0.raw) }
        }
        guard let user = values[userColumn], !user.isEmpty else { return reject("no user id in \(columns[userColumn])") }
        guard let text = values[timeColumn], let time = DateText.parse(text) else {
            return reject("`\(Rejection.clip(values[timeColumn] ?? "null"))` in \(columns[timeColumn]) is not a time")
        }
        var written: [UInt8]?
        if format == .csv {
            written = record.bytes
            if written?.last == 13 { written?.removeLast() }
        }
        return .success(Row(number: number, line: record.line, user: user, time: time, values: values, rawMembers: raw, record: written))
    }
}

/// Why a rows file cannot be read at all.
public enum JoinError: Error, CustomStringConvertible {
    case emptyRows(String)
    case badHeader(String, String)
    case missingColumn(String, String, [String])
    case noColumnFor(String, String, String, [String])
    case badLabel(String, String)

    public var description: String {
        switch self {
        case .emptyRows(let path): "\(path) has no rows (a header line first, then one row per user and time)"
        case .badHeader(let path, let why): "\(path): \(why)"
        case .missingColumn(let path, let name, let columns): "\(path) has no column \(name); its columns: \(columns.joined(separator: ", "))"
        case .noColumnFor(let path, let what, let option, let columns):
            "\(path): no column looks like the \(what) (columns: \(columns.joined(separator: ", "))); name it with \(option)"
        case .badLabel(let path, let why): "\(path): \(why)"
        }
    }
}
