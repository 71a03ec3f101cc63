import ArgumentParser
import Foundation
import RecurCore

/// The `recur` command: feature store and next-purchase prediction.
@main
struct Recur: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Feature store and next-purchase prediction on PostgreSQL.",
        discussion: """
            With no DATABASE_URL, recur runs its own PostgreSQL cluster in .recur/ \
            (or $RECUR_HOME) and starts it on first use.
            """,
        version: RecurVersion.current,
        subcommands: [
            DatabaseCommands.self, EventsCommands.self, FeaturesCommands.self, StreamCommand.self, KafkaCommands.self, TrainCommand.self, ModelsCommands.self,
            RefreshCommand.self, MonitorCommand.self, RollupsCommand.self, ExportCommands.self, ServeCommand.self, ScoreCommand.self, DemoCommand.self
        ]
    )

    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = CommandSuggestion.unknownSubcommand(arguments, root: Recur.self) {
            printError("Error: \(message)")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        main(arguments)
    }
}
