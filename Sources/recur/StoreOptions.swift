import ArgumentParser
import RecurCore

/// Where the database is: shared by every command that touches it.
struct StoreOptions: ParsableArguments {
    @Option(
        name: .customLong("database-url"),
        help: ArgumentHelp("PostgreSQL URL or connection string (default: $DATABASE_URL, else the embedded cluster).", valueName: "url"))
    var databaseURL: String?

    @Option(name: .customLong("home"), help: ArgumentHelp("Recur data folder for the embedded cluster (default: $RECUR_HOME or ./.recur).", valueName: "dir"))
    var home: String?

    var location: StoreLocation { StoreLocation(databaseURL: databaseURL, home: home) }

    func open() throws -> Store {
        do {
            return try Store.open(location)
        } catch {
            throw CLIError.database("\(error)", location: location.displayName)
        }
    }
}

/// A failure the CLI reports as one line on stderr with a non-zero exit.
enum CLIError: Error, CustomStringConvertible {
    case database(String, location: String)
    case usage(String)
    case failed(String)

    var description: String {
        switch self {
        case .database(let message, let location): return "\(message) [database: \(location)]"
        case .usage(let message): return message
        case .failed(let message): return message
        }
    }
}
