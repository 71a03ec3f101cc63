import Postgres
import Testing

@testable import RecurCore

@Suite struct MigrationTests {
    @Test func migrationsApplyOnceAndRecordThemselves() throws {
        let store = try TestStore.fresh("migrations")
        defer { TestStore.drop(store) }
        let applied = try store.connection.query("SELECT version FROM schema_migrations ORDER BY version").rows.map { try $0.require(Int.self, 0) }
        #expect(applied == Migrations.all.map(\.version))
        // A second migrator run finds nothing to do and keeps the tables.
        let again = try Migrator(connection: store.connection, schema: store.location.schema).migrate()
        #expect(again.isEmpty)
        let tables = try store.connection.query(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name IN ('events', 'rejected_events', 'feature_snapshots', 'user_features')",
            [store.location.schema]
        ).require(Int.self, 0, 0)
        #expect(tables == 4)
    }
}
