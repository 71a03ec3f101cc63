import ArgumentParser
import RecurCore

/// `recur rollups check`: every table against a recount of the stored events.
struct CheckRollups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Compare every rollup and the sessions with a recount of the stored events.",
        discussion: "Prints the rows that differ per table (0 when the batches kept them exactly); exits 1 if any do. Reads every event.")
    @OptionGroup var store: StoreOptions

    func run() throws {
        let opened = try store.open()
        let differences = try RollupRegistry.differences(on: opened.connection)
        for (name, rows) in differences { print("\(name)\t\(rows) rows differ") }
        if differences.contains(where: { $0.rows != 0 }) {
            throw CLIError.failed("some tables differ from a recount; `recur rollups backfill` rebuilds them")
        }
    }
}
