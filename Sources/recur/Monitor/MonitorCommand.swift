import ArgumentParser

/// `recur monitor`: proof that what is served is what offline computes, and whether it drifts.
struct MonitorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Check served answers against offline, and feature and score drift.",
        discussion: "See docs/operations.md (\"Monitoring\") for what each reports and what to do about it.",
        subcommands: [MonitorConsistency.self, MonitorDrift.self]
    )
}

/// How a monitor prints its report.
enum MonitorFormat: String, CaseIterable, ExpressibleByArgument {
    case text, json, html
}
