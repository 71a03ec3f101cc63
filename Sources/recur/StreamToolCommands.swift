import ArgumentParser
import Foundation
import RecurCore

/// `recur features repair`: refold the users whose state met an event later than the allowed lateness.
struct RepairFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Refold users queued by the stream (events later than the allowed lateness) from their stored events.",
        discussion: "The stream does this in the background too; this runs it now, until the queue is empty."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions

    func run() throws {
        let set = try features.resolve()
        let opened = try store.open()
        let repair = FeatureRepair(set: set)
        var total = 0
        while true {
            let done = try repair.runOnce(connection: opened.connection, limit: 1_000)
            if done.isEmpty { break }
            total += done.count
        }
        printError("repair \(set.reference): \(total) users refolded, \(try repair.pending(connection: opened.connection)) still queued")
    }
}

/// `recur events rejected`: what was refused, where, and why.
struct RejectedEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejected",
        abstract: "List rejected rows and messages with their source, position and reason.",
        discussion: "Example: recur events rejected --reason 'unknown event type' --limit 20"
    )

    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("Only rows from sources containing this text (a file name, or kafka:TOPIC).", valueName: "text")) var file: String?
    @Option(help: ArgumentHelp("Only reasons containing this text, e.g. 'bad timestamp'.", valueName: "text")) var reason: String?
    @Option(help: "At most this many rows, newest first.") var limit = 50
    @Option(help: "table or json.") var format = "table"

    func run() throws {
        guard format == "table" || format == "json" else { throw CLIError.usage("--format must be table or json") }
        let opened = try store.open()
        let c = opened.connection
        let total = try c.query("SELECT count(*) FROM rejected_events").require(Int.self, 0, 0)
        let rows = try c.query(
            """
            SELECT source, position, reason, raw, rejected_at::text FROM rejected_events
            WHERE ($1::text IS NULL OR strpos(source, $1) > 0) AND ($2::text IS NULL OR strpos(lower(reason), lower($2)) > 0)
            ORDER BY id DESC LIMIT $3
            """, [file, reason, max(0, limit)]
        ).rows
        if format == "json" {
            let objects = try rows.map { row -> [String: String] in
                [
                    "source": try row.require(String.self, 0), "position": try row.require(String.self, 1), "reason": try row.require(String.self, 2),
                    "raw": try row.require(String.self, 3), "rejected_at": try row.require(String.self, 4)
                ]
            }
            let data = try JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys])
            FileHandle.standardOutput.write(data + Data("\n".utf8))
            return
        }
        for row in rows {
            let raw = (try row.require(String.self, 3)).replacingOccurrences(of: "\n", with: "\\n")
            print("\(try row.require(String.self, 0))  \(try row.require(String.self, 1))  \(try row.require(String.self, 2))")
            print("    \(raw.count > 100 ? String(raw.prefix(100)) + "…" : raw)")
        }
        printError("\(rows.count) shown of \(total) rejected in all")
    }
}
