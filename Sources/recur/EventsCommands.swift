import ArgumentParser
import RecurCore

/// `recur events …`: generate, import and summarise raw events.
struct EventsCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Generate, import, publish and inspect raw events.",
        subcommands: [GenerateEvents.self, ImportEvents.self, ProduceEvents.self, RejectedEvents.self, EventStatsCommand.self]
    )
}

/// `recur events generate`: seeded, realistic shop events for demos, tests and benchmarks.
struct GenerateEvents: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Write seeded, realistic shop events (CSV or JSON Lines).",
        discussion: """
            Users differ in purchase rate and drop out over time; sessions of views and cart adds \
            precede purchases; basket values vary per user. The same seed always gives the same file.
            Example: recur events generate --users 10000 --output events.csv
            """
    )

    @Option(help: "Number of users.") var users = 1_000
    @Option(help: "Aim for about this many events in total (default: natural activity, ~60 per user a year).") var events: Int?
    @Option(help: "Seed; the same seed gives the same events.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("First day of the generated period (UTC).", valueName: "YYYY-MM-DD")) var start = "2025-01-01"
    @Option(help: "Length of the period in days.") var days = 365
    @Option(help: "Percent of events written out of time order (up to a day late).") var late: Double = 0
    @Option(help: "Percent of events written twice with the same event id.") var duplicates: Double = 0
    @Option(help: "Output format: csv or jsonl.") var format: String = "csv"
    @Option(name: .shortAndLong, help: "Output file; - for standard output.") var output = "-"

    func run() throws {
        guard let format = GeneratedEventWriter.Format(rawValue: format.lowercased()) else {
            throw CLIError.usage("unknown --format '\(format)': expected csv or jsonl")
        }
        guard let startTime = DateText.parse(start) else {
            throw CLIError.usage("--start '\(start)' is not a date: expected YYYY-MM-DD")
        }
        guard users >= 0, days > 0, (0...100).contains(late), (0...100).contains(duplicates) else {
            throw CLIError.usage("--users must be >= 0, --days > 0, --late and --duplicates between 0 and 100")
        }
        var options = EventGenerator.Options()
        options.users = users
        options.targetEvents = events
        options.seed = seed
        options.start = startTime
        options.days = days
        options.latePercent = late
        options.duplicatePercent = duplicates
        let rows = EventGenerator(options: options).rows()
        let file = try OutputFile(path: output)
        try GeneratedEventWriter(format: format, seed: seed).write(rows, to: file)
        if output != "-" {
            printError("generated \(rows.count) events for \(users) users into \(output)")
        }
    }
}
