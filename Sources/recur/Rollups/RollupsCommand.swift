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
        subcommands: [ListRollups.self, ShowRollup.self, BackfillRollups.self, CheckRollups.self, DropRollups.self]
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

/// `recur rollups drop NAME…`: stop keeping tables nobody reads (the per-user windows grow with the users).
struct DropRollups: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drop", abstract: "Stop keeping rollups and drop their tables.",
        discussion: "A dropped rollup is not built again by imports or streams; `recur rollups backfill --restore NAME` brings it back.")
    @OptionGroup var store: StoreOptions
    @Argument(help: "Rollups to drop.") var names: [String]

    func validate() throws {
        guard !names.isEmpty else { throw ValidationError("name at least one rollup; `recur rollups list` shows them") }
    }

    func run() throws {
        let opened = try store.open()
        try RollupRegistry.drop(names, on: opened.connection)
        printError("dropped \(names.joined(separator: ", ")); `recur rollups backfill --restore NAME` brings one back")
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
