import ArgumentParser
import Foundation
import RecurCore

/// `recur events stats`: what is stored, as a table or JSON.
struct EventStatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Summarise stored events: counts by type, users, rejected rows, first and last event time."
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "table or json.") var format = "table"

    func run() throws {
        guard format == "table" || format == "json" else { throw CLIError.usage("unknown --format '\(format)': expected table or json") }
        let stats = try EventStats.read(from: store.open())
        if format == "json" {
            print(stats.json)
        } else {
            print(stats.table)
        }
    }
}
