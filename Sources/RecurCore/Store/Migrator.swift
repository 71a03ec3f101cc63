import Postgres

/// Applies Recur's migrations in order, each in its own transaction, recording what was applied.
/// Concurrent migrators serialise on an advisory lock, so two first uses at once are safe.
public struct Migrator {
    let connection: Connection
    let schema: String
    let migrations: [Migration]

    public init(connection: Connection, schema: String, migrations: [Migration] = Migrations.all) {
        self.connection = connection
        self.schema = schema
        self.migrations = migrations.sorted { $0.version < $1.version }
    }

    /// Versions applied by this call (empty when the schema was already current).
    @discardableResult
    public func migrate() throws -> [Int] {
        let lockKey = Int64(bitPattern: UInt64(stableHash("recur-migrations:\(schema)"), radix: 16) ?? 0)
        try connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version integer PRIMARY KEY,
                name text NOT NULL,
                checksum text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """)
        var appliedNow: [Int] = []
        for migration in migrations {
            let applied: Bool = try connection.transaction {
                try connection.query("SELECT pg_advisory_xact_lock($1)", [lockKey])
                let existing = try connection.query("SELECT checksum FROM schema_migrations WHERE version = $1", [migration.version])
                if existing.rowCount > 0 {
                    let checksum: String = try existing.require(String.self, 0, 0)
                    guard checksum == migration.checksum else {
                        throw MigrationError.changedAfterApply(version: migration.version, name: migration.name)
                    }
                    return false
                }
                try connection.execute(migration.sql)
                try connection.query(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    [migration.version, migration.name, migration.checksum])
                return true
            }
            if applied { appliedNow.append(migration.version) }
        }
        return appliedNow
    }

    /// (version, name, applied time) of every applied migration.
    public func applied() throws -> [(version: Int, name: String, appliedAt: String)] {
        let result = try connection.query("SELECT version, name, applied_at::text FROM schema_migrations ORDER BY version")
        return try result.rows.map { row in
            (try row.require(Int.self, 0), try row.require(String.self, 1), try row.require(String.self, 2))
        }
    }
}

/// Why the schema could not be brought up to date.
public enum MigrationError: Error, CustomStringConvertible {
    case changedAfterApply(version: Int, name: String)

    public var description: String {
        switch self {
        case .changedAfterApply(let version, let name):
            return
                "migration \(version) (\(name)) differs from the one applied to this database; migrations are immutable: add a new numbered migration instead"
        }
    }
}
