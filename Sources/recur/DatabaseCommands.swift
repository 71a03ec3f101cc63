import ArgumentParser
import Foundation
import RecurCore

/// `recur db …`: the embedded PostgreSQL cluster and the schema.
struct DatabaseCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Start, stop and inspect the database; apply schema migrations.",
        subcommands: [Status.self, Start.self, Stop.self, Migrate.self]
    )

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show where the data lives, whether the server runs, and the schema version.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let location = store.location
            if location.databaseURL != nil {
                print("database: \(location.displayName)")
                let opened = try store.open()
                let applied = try Migrator(connection: opened.connection, schema: location.schema).applied()
                print("server:   reachable (PostgreSQL \(opened.connection.serverVersion / 10000).\(opened.connection.serverVersion % 10000))")
                print("schema:   \(location.schema), migration \(applied.last?.version ?? 0) of \(Migrations.all.count)")
                return
            }
            let cluster = try EmbeddedCluster(home: location.home)
            print("database: embedded cluster")
            print("data:     \(cluster.dataDirectory)")
            print("socket:   \(cluster.socketDirectory) (Unix socket only)")
            switch cluster.status() {
            case .uninitialised:
                print("server:   not initialised (the first command that needs it, or `recur db start`, creates it)")
            case .stopped:
                print("server:   stopped")
            case .running(let pid):
                print("server:   running, pid \(pid)")
                print("connect:  psql \"\(cluster.conninfo())\"")
            }
        }
    }

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Initialise (first time) and start the embedded cluster; does nothing if it runs.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard store.location.databaseURL == nil else {
                throw CLIError.usage("DATABASE_URL is set: recur uses that server and does not start its own")
            }
            let cluster = try EmbeddedCluster(home: store.location.home)
            let started = try cluster.start()
            print(started ? "started PostgreSQL in \(cluster.dataDirectory)" : "already running in \(cluster.dataDirectory)")
        }
    }

    struct Stop: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop the embedded cluster (committed data is kept).")
        @OptionGroup var store: StoreOptions

        func run() throws {
            guard store.location.databaseURL == nil else {
                throw CLIError.usage("DATABASE_URL is set: recur does not stop a server it did not start")
            }
            let cluster = try EmbeddedCluster(home: store.location.home)
            guard case .running = cluster.status() else {
                print("not running")
                return
            }
            try cluster.stop()
            print("stopped")
        }
    }

    struct Migrate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending schema migrations (also done automatically on first use).")
        @OptionGroup var store: StoreOptions

        func run() throws {
            let location = store.location
            let opened: Store
            do { opened = try Store.open(location, migrate: false) } catch {
                throw CLIError.database("\(error)", location: location.displayName)
            }
            let migrator = Migrator(connection: opened.connection, schema: location.schema)
            let applied = try migrator.migrate()
            if applied.isEmpty {
                print("schema \(location.schema) is up to date (migration \(Migrations.all.map(\.version).max() ?? 0))")
            } else {
                for version in applied {
                    let name = Migrations.all.first { $0.version == version }?.name ?? ""
                    print("applied \(version): \(name)")
                }
            }
        }
    }
}
