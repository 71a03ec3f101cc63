import ArgumentParser
import Foundation
import RecurCore

/// `recur rollups backfill`: registers new definitions and recounts the tables from the stored events.
struct BackfillRollups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill", abstract: "Rebuild the rollups and sessions from the stored events.",
        discussion: """
            Registers the rollups in --features-dir that the store does not keep yet (and rebuilds \
            those whose definition changed), then recounts [--from, --to) of every table (all of it \
            without bounds). Writers wait while it runs: it holds a share lock on the events.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var definitions: RollupDefinitionOptions
    @Option(help: "Recount windows from this time (widened to whole windows).") var from: TimeArgument?
    @Option(help: "Recount windows before this time.") var to: TimeArgument?
    @Option(help: ArgumentHelp("Keep a dropped rollup again (repeatable).", valueName: "name")) var restore: [String] = []

    func validate() throws {
        if let from, let to, !(from.timestamp < to.timestamp) { throw ValidationError("--from must be before --to") }
    }

    func run() throws {
        let catalog = try definitions.catalog()
        let defined = Set(catalog.rollups.map(\.name) + (catalog.sessions.map { [$0.name] } ?? []))
        if let unknown = restore.first(where: { !defined.contains($0) }) {
            throw CLIError.usage("--restore \(unknown): no such rollup in the definitions; known: \(defined.sorted().joined(separator: ", "))")
        }
        let opened = try store.open()
        let started = Date()
        let registered = try RollupRegistry.register(catalog, on: opened.connection, replaceChanged: true, restore: Set(restore), progress: { printError($0) })
        let rebuilt = try RollupRegistry.rebuild(from: from?.timestamp, to: to?.timestamp, on: opened.connection, progress: { printError($0) })
        let new = registered.built.isEmpty ? "" : "; new: \(registered.built.joined(separator: ", "))"
        let changed = registered.rebuilt.isEmpty ? "" : "; redefined: \(registered.rebuilt.joined(separator: ", "))"
        printError(String(format: "rebuilt %d tables in %.1f s%@%@", rebuilt.count, Date().timeIntervalSince(started), new, changed))
    }
}
