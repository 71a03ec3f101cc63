/// Turns stream messages into events and rejections with the import's JSON parsing, aliases,
/// event-type map and validation. A message without an event id gets one from its content alone,
/// so a producer's retry of the same event collapses into one.
struct StreamDecoder {
    /// Messages over this size are rejected (their first 64 KiB kept), as import does with records.
    static let maximumMessageBytes = 1 << 20

    private var session: ImportSession
    private(set) var summary: ImportSummary

    init(options: ImportOptions, source: String) {
        session = ImportSession(options: options, format: .jsonl, source: source)
        session.countsOccurrences = false
        summary = ImportSummary(source: source)
    }

    mutating func take(_ value: [UInt8]?, position: @autoclosure () -> String) {
        summary.read += 1
        guard let value, !value.isEmpty, !value.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 10 || $0 == 13 }) else {
            var hash = StableHash()
            hash.add(value ?? [])
            session.rejected.append(
                EventLoader.RejectedRow(
                    position: position(), raw: ImportSession.printable(value ?? []),
                    reason: Rejection.emptyMessage.description, rawHash: hash.hex))
            summary.count(.emptyMessage)
            return
        }
        var bytes = value
        while let last = bytes.last, last == 10 || last == 13 { bytes.removeLast() }
        let oversized = bytes.count > Self.maximumMessageBytes
        if oversized { bytes = Array(bytes.prefix(64 << 10)) }
        let record = RecordReader.Record(bytes: bytes, line: 0, isOversized: oversized, hasUnterminatedQuote: false)
        if let rejection = session.take(record, position: position()) { summary.count(rejection) }
    }

    /// Takes the decoded events and rejections out, leaving the decoder empty.
    mutating func drain() -> ([Event], [EventLoader.RejectedRow]) {
        defer {
            session.events.removeAll(keepingCapacity: true)
            session.rejected.removeAll(keepingCapacity: true)
        }
        return (session.events, session.rejected)
    }
}
