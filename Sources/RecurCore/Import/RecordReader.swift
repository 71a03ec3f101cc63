import Foundation

/// Splits an input into records: lines, joined when a quoted CSV field spans lines, bounded in length.
///
/// A record longer than `maximumLength` is not kept whole: its first `keptLength` bytes are returned with
/// `isOversized` set and the rest is skipped, so a 10 MB line costs no more memory than a short one.
public final class RecordReader {
    /// One record and where it starts.
    public struct Record {
        public var bytes: [UInt8]
        /// 1-based line number of the record's first line.
        public var line: Int
        public var isOversized: Bool
        /// A quote opened and never closed within the allowed span; the record is the first line only.
        public var hasUnterminatedQuote: Bool
    }

    public let maximumLength: Int
    public let keptLength: Int
    var joinsQuotedLines: Bool
    private let input: InputFile
    private var buffer: [UInt8]
    private var start = 0, end = 0
    private var atEnd = false
    private var nextLine = 1
    private var pending: [Record] = []

    public init(input: InputFile, joinsQuotedLines: Bool, maximumLength: Int = 1 << 20, keptLength: Int = 64 << 10) {
        self.input = input
        self.joinsQuotedLines = joinsQuotedLines
        self.maximumLength = maximumLength
        self.keptLength = keptLength
        buffer = [UInt8](repeating: 0, count: 1 << 20)
    }

    /// The next record, or nil at the end of the input.
    public func next() throws -> Record? {
        if !pending.isEmpty { return pending.removeFirst() }
        guard var first = try nextLine_() else { return nil }
        guard joinsQuotedLines, !first.isOversized, Self.hasOpenQuote(first.bytes) else { return first }
        // The record continues on following lines until its quotes balance.
        var lines = [first]
        var joined = first.bytes
        while lines.count < 1_000, joined.count < maximumLength, let more = try nextLine_() {
            lines.append(more)
            if more.isOversized { break }
            joined.append(UInt8(ascii: "\n"))
            joined.append(contentsOf: more.bytes)
            if !Self.hasOpenQuote(joined) {
                first.bytes = joined
                return first
            }
        }
        // Never balanced: give back the first line as bad and re-read the others as records of their own.
        first.hasUnterminatedQuote = true
        pending = Array(lines.dropFirst())
        return first
    }

    static func hasOpenQuote(_ bytes: [UInt8]) -> Bool {
        var open = false
        for byte in bytes where byte == UInt8(ascii: "\"") { open.toggle() }
        return open
    }

    private func nextLine_() throws -> Record? {
        var record = [UInt8]()
        var oversized = false
        var total = 0
        while true {
            if start == end {
                if atEnd { break }
                try refill()
                if start == end { atEnd = true; break }
            }
            let newline: Int? = buffer.withUnsafeBytes { raw in
                guard let found = memchr(raw.baseAddress! + start, 0x0A, end - start) else { return nil }
                return raw.baseAddress!.distance(to: UnsafeRawPointer(found))
            }
            let stop = newline ?? end
            let room = max(0, keptLength - record.count)
            let chunk = stop - start
            total += chunk
            if total > maximumLength { oversized = true }
            if oversized {
                if room > 0 { record.append(contentsOf: buffer[start..<(start + min(room, chunk))]) }
            } else {
                record.append(contentsOf: buffer[start..<stop])
            }
            start = stop
            if newline != nil {
                start += 1
                let line = nextLine
                nextLine += 1
                if !oversized, record.last == UInt8(ascii: "\r") { record.removeLast() }
                if oversized && record.count > keptLength { record.removeLast(record.count - keptLength) }
                return Record(bytes: record, line: line, isOversized: oversized, hasUnterminatedQuote: false)
            }
        }
        if total == 0 && record.isEmpty { return nil }
        let line = nextLine
        nextLine += 1
        if !oversized, record.last == UInt8(ascii: "\r") { record.removeLast() }
        if oversized && record.count > keptLength { record.removeLast(record.count - keptLength) }
        return Record(bytes: record, line: line, isOversized: oversized, hasUnterminatedQuote: false)
    }

    private func refill() throws {
        start = 0
        end = try buffer.withUnsafeMutableBytes { raw in try input.read(into: raw) }
    }
}
