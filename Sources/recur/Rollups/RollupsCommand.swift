import ArgumentParser
import Foundation
import RecurCore

/// `recur rollups`: the analytics tables kept beside the events (windows, funnels, sessions).
struct RollupsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollups",
        abstract: "Windows, funnels and sessions kept in PostgreSQL as events are stored.",
        discussion: """
            Every import and stream batch updates these tables in its own transaction. The built-in \
            ones are defined in features/rollups.toml; add your own in a .toml file of [[rollup]] \
            tables in your features folder and run `recur rollups backfill --features-dir DIR`.
            """,
        subcommands: [ListRollups.self, ShowRollup.self, BackfillRollups.self]
    )
}

/// Where rollup definitions come from: the built-in ones and a features folder.
struct RollupDefinitionOptions: ParsableArguments {
    @Option(name: .customLong("features-dir"), help: ArgumentHelp("A folder of feature set and rollup .toml files.", valueName: "dir"))
    var directory: String?

    func catalog() throws -> RollupCatalog {
        let folder = directory ?? ProcessInfo.processInfo.environment["RECUR_FEATURES_DIR"]
        return try RollupCatalog.load(directory: folder, features: try FeatureCatalog.load(directory: folder))
    }
}

/// `recur rollups list`: each table the store keeps, its window, grouping and rows.
struct ListRollups: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List the rollups and sessions this store keeps.")
    @OptionGroup var store: StoreOptions
    @Option(help: "table, csv or json.") var format = TableFormat.table

    func run() throws {
        let opened = try store.open()
        _ = try RollupRegistry.register(.builtin(), on: opened.connection, progress: { printError($0) })
        let rows = try AnalyticsTables.list(on: opened.connection)
        print(rows.rendered(format), terminator: "")
    }
}

extension TableRows {
    /// The rows in the format the user asked for.
    func rendered(_ format: TableFormat) -> String {
        switch format {
        case .table: table
        case .csv: csv
        case .json: json + "\n"
        }
    }
}
