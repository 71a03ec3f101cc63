import Foundation
import Postgres

/// Reads one input (file or stdin), validates each record and loads events with COPY, accounting for every row.
public struct EventImporter {
    public let options: ImportOptions
    public init(options: ImportOptions) { self.options = options }

    /// Imports `path` (`-` for stdin) into the store's `events` and `rejected_events`, and its rollups.
    public func run(
        path: String, store: Store, progress: ((ImportProgress) -> Void)? = nil, notice: (String) -> Void = { _ in }
    ) throws -> ImportSummary {
        let source = Self.sourceName(path)
        // A store that keeps no rollups yet gets the built-in ones, counted from what it holds.
        _ = try RollupRegistry.register(.builtin(), on: store.connection, progress: notice)
        let loader = EventLoader(connection: store.connection, source: source, rollups: BatchRollups(connection: store.connection, source: "import"))
        let pipeline = LoadPipeline(loader: loader)
        var submitted = 0
        var summary: ImportSummary
        do {
            summary = try read(path: path, progress: progress) { events, rejected in
                submitted += events.count
                try pipeline.submit((events, rejected))
            }
            summary.loaded = try pipeline.finish()
            summary.duplicates = submitted - summary.loaded
        } catch let error as ImportError {
            // A read error mid-file: what was read so far is still loaded before reporting it.
            _ = try? pipeline.finish()
            throw error
        } catch {
            _ = try? pipeline.finish()
            throw ImportError.database(source: path == "-" ? "stdin" : path, message: "\(error)")
        }
        _ = try? store.connection.execute(
            """
            INSERT INTO import_runs (source, started_at, finished_at, rows_read, loaded, duplicates, rejected)
            VALUES ($1, to_timestamp($2), now(), $3, $4, $5, $6)
            """, [source, Date().timeIntervalSince1970 - summary.seconds, summary.read, summary.loaded, summary.duplicates, summary.rejected])
        return summary
    }

    /// The path as stored in `rejected_events.source`.
    static func sourceName(_ path: String) -> String {
        path == "-" ? "stdin" : URL(fileURLWithPath: path).standardizedFileURL.path
    }

    /// Reads and validates `path` without storing anything: `batch` gets each batch of events (ids
    /// filled in) and rejected rows, at most `options.batchSize` records at a time. Returns the counts
    /// (`loaded` and `duplicates` are left for the caller, who knows what the store kept).
    func read(
        path: String, progress: ((ImportProgress) -> Void)? = nil,
        batch: ([Event], [EventLoader.RejectedRow]) throws -> Void
    ) throws -> ImportSummary {
        let started = Date()
        var summary = ImportSummary(source: path == "-" ? "stdin" : path)
        let input: InputFile
        do { input = try InputFile(path: path) } catch { throw ImportError.nothingRead(source: summary.source, reason: "\(error)") }
        let reader = RecordReader(input: input, joinsQuotedLines: false)

        var first: RecordReader.Record?
        while let record = try reader.next() {
            if !record.bytes.allSatisfy({ $0 == 32 || $0 == 9 }) { first = record; break }
        }
        guard let firstRecord = first else { throw ImportError.nothingRead(source: summary.source, reason: "the input is empty") }
        let format = options.format ?? Self.detectFormat(path: path, firstRecord: firstRecord.bytes)
        reader.joinsQuotedLines = format == .csv || format == .semicolon
        if options.format == nil { summary.notes.append("format: \(format.rawValue) (detected)") }

        var session = ImportSession(options: options, format: format, source: summary.source)
        var pending: RecordReader.Record? = firstRecord
        if let delimiter = format.delimiter {
            let splitter = FieldSplitter(delimiter)
            let headerText = String(decoding: firstRecord.bytes, as: UTF8.self)
            let layout = try ColumnLayout.resolve(firstRecord: splitter.split(headerText) ?? [headerText], options: options, source: summary.source)
            if layout.firstRecordIsHeader { pending = nil }
            if !layout.ignoredColumns.isEmpty {
                summary.notes.append("ignored columns: \(layout.ignoredColumns.prefix(10).joined(separator: ", "))")
            }
            session.layout = layout
            session.splitter = splitter
        }
        if session.usesDefaultPurchase { summary.notes.append("no event type column: rows with an amount are purchases (use --event-type)") }
        if options.dates == .automatic, path != "-" {
            session.dateOrder = try Self.dateOrder(path: path, like: session, skipsFirst: pending == nil)
            if let order = session.dateOrder { summary.notes.append("dates: \(order.rawValue) (from the file; --day-first or --month-first to say so)") }
        }

        var lastReport = Date.distantPast
        func flush() throws {
            try batch(session.events, session.rejected)
            session.events.removeAll(keepingCapacity: true)
            session.rejected.removeAll(keepingCapacity: true)
        }
        do {
            while let record = try pending ?? reader.next() {
                pending = nil
                if record.bytes.isEmpty || record.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
                summary.read += 1
                if let rejection = session.take(record) { summary.count(rejection) }
                if session.events.count + session.rejected.count >= options.batchSize { try flush() }
                if let progress, summary.read % 4096 == 0, Date().timeIntervalSince(lastReport) > 0.2 {
                    lastReport = Date()
                    progress(ImportProgress(source: summary.source, rowsRead: summary.read, bytesConsumed: input.consumedBytes, totalBytes: input.totalBytes))
                }
            }
            try flush()
        } catch let error as FileError {
            try? flush()
            throw ImportError.nothingRead(source: summary.source, reason: "\(error) after \(summary.read) rows (rows before it were loaded)")
        }
        if summary.read == 0 { throw ImportError.nothingRead(source: summary.source, reason: "only a header, no rows") }
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// Which field of the file's slash dates is the day, read ahead to the first date that says so
    /// (a field over 12), so that the dates before it are read the same way; nil when none says.
    static func dateOrder(path: String, like session: ImportSession, skipsFirst: Bool) throws -> DateText.Order? {
        let reader = RecordReader(input: try InputFile(path: path), joinsQuotedLines: session.format == .csv || session.format == .semicolon)
        var probe = session
        var skipping = skipsFirst
        while let record = try reader.next() {
            if record.bytes.isEmpty || record.bytes.allSatisfy({ $0 == 32 || $0 == 9 || $0 == 13 }) { continue }
            if skipping { skipping = false; continue }
            _ = probe.take(record)
            if probe.dateOrder != nil { return probe.dateOrder }
            probe.events.removeAll(keepingCapacity: true)
            probe.rejected.removeAll(keepingCapacity: true)
        }
        return nil
    }

    /// Reads and validates `path` without storing anything, handing each batch of valid events to
    /// `body` (rejected rows are only counted in the summary).
    public func events(path: String, _ body: ([Event]) throws -> Void) throws -> ImportSummary {
        try read(path: path) { events, _ in try body(events) }
    }

    /// By file name first, then by what the first line looks like.
    static func detectFormat(path: String, firstRecord: [UInt8]) -> ImportOptions.Format {
        var name = path.lowercased()
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if name.hasSuffix(".jsonl") || name.hasSuffix(".ndjson") || name.hasSuffix(".json") { return .jsonl }
        if name.hasSuffix(".tsv") || name.hasSuffix(".tab") { return .tsv }
        let trimmed = firstRecord.drop { $0 == 32 || $0 == 9 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF }
        if trimmed.first == UInt8(ascii: "{") { return .jsonl }
        var counts: [UInt8: Int] = [9: 0, 44: 0, 59: 0]
        var quoted = false
        for byte in firstRecord {
            if byte == 34 { quoted.toggle() } else if !quoted, counts[byte] != nil { counts[byte]! += 1 }
        }
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }!
        if best.value > 0 {
            switch best.key {
            case 9: return .tsv
            case 59: return .semicolon
            default: return .csv
            }
        }
        return firstRecord.contains(32) ? .whitespace : .csv
    }
}
