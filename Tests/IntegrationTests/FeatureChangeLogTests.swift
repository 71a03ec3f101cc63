import Postgres
import Testing

@testable import RecurCore

@Suite struct FeatureChangeLogTests {
    private func upsert(_ c: Connection, _ users: [String]) throws {
        try c.execute(
            """
            INSERT INTO user_features (set_name, set_version, user_id, state)
            SELECT 'default', 1, u, '\\x00' FROM unnest($1::text[]) u
            ON CONFLICT (set_name, set_version, user_id) DO UPDATE SET state = '\\x01', updated_at = clock_timestamp()
            """, [ArrayLiteral.text(users)])
    }

    private func logged(_ c: Connection) throws -> [[String]] {
        try c.query("SELECT array_to_string(users, ',') FROM feature_changes ORDER BY id").rows.map {
            try $0.require(String.self, 0).split(separator: ",").map(String.init).sorted()
        }
    }

    @Test func everyWriteOfStatesIsLoggedOncePerStatement() throws {
        let store = try TestStore.fresh("changelog")
        defer { TestStore.drop(store) }
        let c = store.connection
        try upsert(c, ["a", "b"])
        try upsert(c, ["b", "c"])  // b updated, c inserted: one statement, logged by both triggers
        try c.execute("UPDATE user_features SET state = '\\x02' WHERE user_id = 'a'")
        try c.execute("UPDATE user_features SET state = '\\x03' WHERE user_id = 'nobody'")
        let rows = try logged(c)
        #expect(rows.count == 4)
        // The second statement fires both triggers, in an order PostgreSQL does not promise.
        #expect(rows.first == ["a", "b"] && Set(rows.dropFirst().prefix(2)) == [["b"], ["c"]] && rows.last == ["a"])
    }

    @Test func pruneKeepsWhatIsRecent() throws {
        let store = try TestStore.fresh("changelog-prune")
        defer { TestStore.drop(store) }
        let c = store.connection
        try upsert(c, ["old"])
        try c.execute("UPDATE feature_changes SET changed_at = now() - interval '1 hour'")
        try upsert(c, ["new"])
        #expect(try FeatureChangeLog.prune(c) == 1)
        #expect(try logged(c) == [["new"]])
    }

    @Test func stateUpdatesStayOnTheirPage() throws {
        let store = try TestStore.fresh("changelog-hot")
        defer { TestStore.drop(store) }
        let c = store.connection
        let users = (0..<200).map { "u\($0)" }
        try upsert(c, users)
        for _ in 0..<3 { try upsert(c, users) }
        // The statistics collector reports a backend's counts when its transaction ends.
        _ = try c.query("SELECT pg_stat_force_next_flush()")
        let (updates, hot) =
            try c.query(
                """
                SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'user_features' AND schemaname = $1
                """, [store.location.schema]
            ).rows.first.map { (try $0.require(Int.self, 0), try $0.require(Int.self, 1)) } ?? (0, 0)
        #expect(updates == 600)
        // With an index on updated_at (the schema before) no update could stay on its page.
        #expect(hot > 0)
    }
}
