import ArgumentParser
import RecurCore

/// The generator's options, shared by `events generate` and `events produce`.
struct GeneratorOptions: ParsableArguments {
    @Option(help: "Number of users.") var users = 1_000
    @Option(help: "Aim for about this many events in total (default: natural activity, ~60 per user a year).") var events: Int?
    @Option(help: "Seed; the same seed gives the same events.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("First day of the generated period (UTC).", valueName: "YYYY-MM-DD")) var start = "2025-01-01"
    @Option(help: "Length of the period in days.") var days = 365

    /// The options as the generator takes them, or a usage error naming the bad one.
    func options() throws -> EventGenerator.Options {
        guard let startTime = DateText.parse(start) else {
            throw CLIError.usage("--start '\(start)' is not a date: expected YYYY-MM-DD")
        }
        guard users >= 0, days > 0 else { throw CLIError.usage("--users must be >= 0 and --days > 0") }
        var options = EventGenerator.Options()
        options.users = users
        options.targetEvents = events
        options.seed = seed
        options.start = startTime
        options.days = days
        return options
    }
}
