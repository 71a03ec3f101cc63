import Foundation
import Postgres

/// An open connection to Recur's database, migrated and ready; hands out more connections for parallel work.
public final class Store {
    public let location: StoreLocation
    public let connection: Connection
    let conninfo: String

    /// Connects (starting the embedded cluster first when no URL is given) and applies pending migrations.
    public static func open(_ location: StoreLocation = StoreLocation(), migrate: Bool = true) throws -> Store {
        let conninfo: String
        if let url = location.databaseURL {
            conninfo = url
        } else {
            let cluster = try EmbeddedCluster(home: location.home)
            try cluster.start()
            conninfo = cluster.conninfo()
        }
        let store = try Store(location: location, conninfo: conninfo)
        if migrate { try Migrator(connection: store.connection, schema: location.schema).migrate() }
        return store
    }

    private init(location: StoreLocation, conninfo: String) throws {
        self.location = location
        self.conninfo = conninfo
        connection = try Store.connect(conninfo: conninfo, schema: location.schema)
    }

    /// Another connection to the same database and schema, for a worker thread.
    public func connect() throws -> Connection {
        try Store.connect(conninfo: conninfo, schema: location.schema)
    }

    private static func connect(conninfo: String, schema: String) throws -> Connection {
        let connection = try Connection(conninfo)
        let quoted = try connection.quoteIdentifier(schema)
        try connection.execute("CREATE SCHEMA IF NOT EXISTS \(quoted)")
        try connection.execute("SET search_path TO \(quoted)")
        // Times read as text (rollups, sessions, views) come back in UTC, as every time Recur writes.
        try connection.execute("SET TimeZone TO 'UTC'")
        return connection
    }
}
