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

    @OptionGroup var generator: GeneratorOptions
    @Option(help: "Percent of events written out of time order (up to a day late).") var late: Double = 0
    @Option(help: "Percent of events written twice with the same event id.") var duplicates: Double = 0
    @Option(help: "Output format: csv or jsonl.") var format: String = "csv"
    @Option(name: .shortAndLong, help: "Output file; - for standard output.") var output = "-"

    func run() throws {
        guard let format = GeneratedEventWriter.Format(rawValue: format.lowercased()) else {
            throw CLIError.usage("unknown --format '\(format)': expected csv or jsonl")
        }
        guard (0...100).contains(late), (0...100).contains(duplicates) else {
            throw CLIError.usage("--late and --duplicates are percentages from 0 to 100")
        }
        var options = try generator.options()
        options.latePercent = late
        options.duplicatePercent = duplicates
        let file = try OutputFile(path: output)
        // Streamed: ten million users' events never sit in memory at once.
        let count = try GeneratedEventWriter(format: format, seed: generator.seed).write(generating: EventGenerator(options: options), to: file)
        if output != "-" {
            printError("generated \(count) events for \(generator.users) users into \(output)")
        }
    }
}
