import ArgumentParser
import RecurCore

/// `recur rollups show NAME`: a rollup's, the sessions' or a view's rows.
struct ShowRollup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Print a rollup's, the sessions' or an analytics view's rows.",
        discussion: "Without --from/--to, the newest rows (up to --limit), oldest first.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "A rollup, `sessions`, or a view (conversion_hourly, conversion_daily, products_high_interest_low_conversion).")
    var name: String
    @Option(help: "First window to show (a date or time, UTC).") var from: TimeArgument?
    @Option(help: "Show windows before this time.") var to: TimeArgument?
    @Option(help: "At most this many rows.") var limit = 1_000
    @Option(help: "table, csv or json.") var format = TableFormat.table

    func validate() throws {
        if let from, let to, !(from.timestamp < to.timestamp) { throw ValidationError("--from must be before --to") }
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let opened = try store.open()
        _ = try RollupRegistry.register(.builtin(), on: opened.connection, progress: { printError($0) })
        let rows = try AnalyticsTables.show(name, from: from?.timestamp, to: to?.timestamp, limit: limit, on: opened.connection)
        print(rows.rendered(format), terminator: "")
        if rows.rows.count == limit { printError("showing \(limit) rows; narrow with --from/--to or raise --limit") }
    }
}
