import ArgumentParser
import Foundation
import RecurCore

/// `recur features join ROWS`: the features as of each of your rows' times.
struct JoinFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "join",
        abstract: "Add the features as of each row's time to your own (user, time, …) rows.",
        discussion: """
            ROWS is a CSV, TSV or JSON Lines file (.gz too; - for stdin) with a header and one row per question: \
            a user id, a time, and any other columns, which pass through unchanged and in order. Each row gets \
            every feature of --set as of its time, exactly as `recur features show --as-of` gives it (events \
            strictly before that time), for any time, not only backfilled ones. Rows come out in input order; \
            a user with no events keeps its row with empty features; a row whose user or time cannot be read \
            is reported with its line and counted.
            By default every stored event before the row's time counts, also one stored later (a late arrival): \
            the features as they are now known. With --as-known, only events stored before the row's time count: \
            what the online system could have seen then, which is what a training row should see.
            Example: recur features join labels.csv --user-column customer --time-column asked_at -o labelled.csv
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @Argument(help: ArgumentHelp("Your rows: CSV, TSV or JSON Lines, gzipped or not; - for stdin.", valueName: "rows")) var rows: String
    @Option(name: .customLong("user-column"), help: "The column of user ids (default: one named as events import knows it, e.g. user_id, customer_id).")
    var userColumn: String?
    @Option(name: .customLong("time-column"), help: "The column of times (default: one named as events import knows it, e.g. ts, timestamp, event_time).")
    var timeColumn: String?
    @Flag(name: .customLong("as-known"), help: "Count only events stored before each row's time (what was known then), not late arrivals.")
    var asKnown = false
    @Option(name: .shortAndLong, help: "Output file (default: standard output).") var output: String?
    @Option(help: "csv or jsonl (default: from the output's name, else csv).") var format: JoinOutput.Format?
    @Flag(help: "No summary on standard error.") var quiet = false

    func run() throws {
        let set = try features.resolve()
        let reader = try JoinRows(path: rows, userColumn: userColumn, timeColumn: timeColumn)
        let chosen = format ?? ((output ?? "").lowercased().hasSuffix(".jsonl") || (output ?? "").lowercased().hasSuffix(".ndjson") ? .jsonl : .csv)
        let layout = JoinOutput(format: chosen, columns: reader.columns, features: set.featureNames)
        let opened = try store.open()
        let file = try OutputFile(path: output ?? "-")
        var join = FeatureJoin(set: set)
        join.asKnown = asKnown
        let quiet = self.quiet
        let summary = try join.run(
            rows: reader, output: layout, store: opened, write: { try file.write(Array($0.utf8)) },
            progress: { line in if !quiet { printError("join: \(line)") } })
        for rejection in summary.firstRejections { printError("join: \(rows) \(rejection)") }
        if !quiet {
            printError(
                "join: \(summary.answered) rows × \(set.featureNames.count) features (\(set.reference)\(asKnown ? ", as known then" : "")) in "
                    + String(format: "%.1f s", summary.seconds) + "; \(summary.rejected) rejected, \(summary.usersWithoutEvents) rows of users with no events")
        }
        if summary.answered == 0 && summary.rejected > 0 { throw CLIError.failed("no row of \(rows) could be read (\(summary.rejected) rejected)") }
    }
}

extension JoinOutput.Format: ExpressibleByArgument {}
