import ArgumentParser
import Foundation
import RecurCore

/// `recur events import FILE...`: load exports of any common shape into `events`.
struct ImportEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import events from CSV, TSV, semicolon, whitespace-separated or JSON Lines files (gzip too).",
        discussion: """
            Columns are found by name (customer_id, InvoiceDate, add_to_cart … are understood) or given by \
            position with --columns. Bad rows go to rejected_events with line and reason; re-importing a file \
            adds nothing. Exits non-zero when a file loads no row, or rejects more than --max-rejected of its rows \
            (the rows that were good are kept either way). Slash dates are read day-first when a first field is \
            over 12 somewhere in the file, month-first when a second one is; --day-first, --month-first or \
            --date-format say it outright.
            Example: recur events import orders.txt --format whitespace --no-header \\
                       --columns user_id,ts,quantity,amount --event-type purchase
            """
    )

    @OptionGroup var store: StoreOptions
    @Argument(help: ArgumentHelp("Files to import; - reads standard input.", valueName: "file")) var files: [String]
    @OptionGroup var input: InputMappingOptions
    @Option(help: "Rows per COPY batch (each is one transaction).") var batchSize = 50_000
    @Flag(help: "No progress bar.") var quiet = false
    @Option(
        name: .customLong("max-rejected"),
        help: ArgumentHelp("Fail when a file rejects more rows than this: a count (100) or a share of its rows (5%, 0.05).", valueName: "limit"))
    var maxRejected = RejectionLimit(.share(0.1))

    func run() throws {
        let options = try importOptions()
        let opened = try store.open()
        let progress = quiet ? nil : ProgressBar.forStandardError()
        var total: ImportSummary?
        var failures = 0
        for file in files {
            do {
                let summary = try EventImporter(options: options).run(path: file, store: opened) { p in
                    let fraction = p.totalBytes.map { $0 > 0 ? Double(p.bytesConsumed) / Double($0) : 1 }
                    progress?.update(label: p.source, fraction: fraction, detail: "\(p.rowsRead) rows")
                }
                progress?.finish()
                report(summary)
                total = total.map { $0 + summary } ?? summary
                if summary.read > 0 && summary.loaded + summary.duplicates == 0 {
                    failures += 1
                    printError("error: \(summary.source): none of its \(summary.read) rows could be loaded; the reasons are above")
                } else if maxRejected.isExceeded(rejected: summary.rejected, read: summary.read) {
                    failures += 1
                    printError(
                        "error: \(summary.source): \(summary.rejected) of \(summary.read) rows rejected, over --max-rejected \(maxRejected) (the good rows are loaded)"
                    )
                }
            } catch {
                progress?.finish()
                failures += 1
                printError("error: \(error)")
            }
        }
        if let total, files.count > 1 { report(total) }
        guard let total, total.read > 0, failures == 0 else { throw ExitCode.failure }
    }

    private func report(_ s: ImportSummary) {
        let rate = s.rowsPerSecond >= 1 ? String(Int(s.rowsPerSecond.rounded())) : "0"
        printError(
            "\(s.source): read \(s.read), loaded \(s.loaded), duplicates \(s.duplicates), rejected \(s.rejected), \(rate) rows/s in \(String(format: "%.2f", s.seconds)) s"
        )
        for (kind, count) in s.rejectionsByKind.sorted(by: { $0.value > $1.value }) {
            printError("  rejected \(count): \(kind)")
        }
        if s.skipped > 0 { printError("  skipped \(s.skipped) of unknown event types (--unknown-events skip)") }
        if !s.unknownTypes.isEmpty {
            let named = s.unknownTypes.sorted { $0.value > $1.value }.prefix(8).map { "\($0.key) (\($0.value))" }.joined(separator: ", ")
            printError("  unknown event types: \(named); map them with \(s.suggestedEventMap ?? "--event-map NAME=view")")
        }
        for note in s.notes { printError("  note: \(note)") }
        if s.rejected > 0 { printError("  see: recur events rejected (or SELECT * FROM rejected_events)") }
    }

    func importOptions() throws -> ImportOptions {
        var options = try input.importOptions()
        guard batchSize > 0 else { throw CLIError.usage("--batch-size must be positive") }
        options.batchSize = batchSize
        return options
    }
}

/// How a source's own event type names map onto Recur's: shared by import, produce and stream.
struct EventTypeOptions: ParsableArguments {
    @Option(
        name: .customLong("event-map"),
        help: ArgumentHelp("Source event types onto Recur's, e.g. search=view,catalog=view,transaction=purchase (repeatable).", valueName: "name=type,…"))
    var eventMap: [String] = []
    @Option(
        name: .customLong("unknown-events"),
        help: ArgumentHelp("Event types neither mapped nor known: reject (to rejected_events), view, or skip.", valueName: "policy"))
    var unknownEvents: String?

    func apply(to options: inout ImportOptions) throws {
        for text in eventMap { try options.addEventMap(text) }
        if let unknownEvents {
            guard let policy = ImportOptions.UnknownEventPolicy(rawValue: unknownEvents.lowercased()) else {
                throw CLIError.usage("--unknown-events '\(unknownEvents)': expected reject, view or skip")
            }
            options.unknownEvents = policy
        }
    }
}

/// How input records map onto events: format, header, columns, event types. Shared by import, produce and stream.
struct InputMappingOptions: ParsableArguments {
    @Option(help: "csv, tsv, semicolon, whitespace or jsonl (default: detected).") var format: String?
    @Flag(name: .customLong("no-header"), help: "The first line is data, not column names.") var noHeader = false
    @Flag(name: .customLong("header"), help: "The first line names the columns.") var header = false
    @Option(help: ArgumentHelp("Column meanings by position, e.g. user_id,ts,quantity,amount (_ skips one).", valueName: "names"))
    var columns: String?
    @Option(name: .customLong("map"), help: ArgumentHelp("Field from a named column, e.g. --map ts=order_date (repeatable).", valueName: "field=column"))
    var renames: [String] = []
    @Option(help: ArgumentHelp("A mapping file of `field = \"column\"` lines (also format, header, columns, event_type).", valueName: "file"))
    var mapping: String?
    @Option(name: .customLong("event-type"), help: "The type of every row when there is no event type column.") var eventType: String?
    @OptionGroup var eventTypes: EventTypeOptions
    @Option(
        name: .customLong("date-format"),
        help: ArgumentHelp("How dates are written, strftime-like: %Y %y %m %b %d %H %I %p %M %S %f %z, e.g. %d.%m.%Y %H:%M.", valueName: "pattern"))
    var dateFormat: String?
    @Flag(name: .customLong("day-first"), help: "Slash dates are day/month/year (31/12/2025).") var dayFirst = false
    @Flag(name: .customLong("month-first"), help: "Slash dates are month/day/year (12/31/2025).") var monthFirst = false

    func importOptions() throws -> ImportOptions {
        var options = ImportOptions()
        if let format {
            guard let f = ImportOptions.Format(rawValue: format.lowercased()) else {
                throw CLIError.usage("unknown --format '\(format)': expected csv, tsv, semicolon, whitespace or jsonl")
            }
            options.format = f
        }
        if noHeader && header { throw CLIError.usage("--header and --no-header contradict each other") }
        options.header = noHeader ? .absent : header ? .present : .auto
        options.columns = columns.map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        for rename in renames {
            let parts = rename.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let field = CanonicalField(rawValue: parts[0]) ?? CanonicalField.matching(parts[0]) else {
                throw CLIError.usage(
                    "--map '\(rename)': expected FIELD=COLUMN with FIELD one of \(CanonicalField.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            options.renames[field] = parts[1]
        }
        if let eventType {
            guard let type = EventType.matching(eventType) else {
                throw CLIError.usage("unknown --event-type '\(eventType)': expected view, cart, purchase or refund")
            }
            options.eventType = type
        }
        try eventTypes.apply(to: &options)
        if [dayFirst, monthFirst, dateFormat != nil].filter({ $0 }).count > 1 {
            throw CLIError.usage("give one of --day-first, --month-first and --date-format")
        }
        if let dateFormat {
            do { options.dates = .format(try DateFormat(dateFormat)) } catch { throw CLIError.usage(error.description) }
        } else if dayFirst || monthFirst {
            options.dates = .order(dayFirst ? .dayFirst : .monthFirst)
        }
        if let mapping {
            guard let text = try? String(contentsOfFile: mapping, encoding: .utf8) else {
                throw CLIError.usage("cannot read mapping file \(mapping)")
            }
            options.merge(try MappingFile(path: mapping, text: text))
        }
        return options
    }

}
