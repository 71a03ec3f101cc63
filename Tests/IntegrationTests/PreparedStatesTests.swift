import Postgres
import Testing

@testable import RecurCore

@Suite struct PreparedStatesTests {
    /// Prepares, on `states`, an insert of `n` into t under the name that belongs to `batch`'s open transaction.
    private func prepare(_ n: Int, states: Connection, batch: Connection) throws -> String {
        try batch.execute("BEGIN")
        let name = PreparedStates.name(forBatch: try batch.query("SELECT pg_current_xact_id()::text").require(String.self, 0, 0))
        try states.execute("BEGIN")
        try states.execute("INSERT INTO t VALUES ($1)", [n])
        try states.execute("PREPARE TRANSACTION \(try states.quoteLiteral(name))")
        return name
    }

    @Test func preparedStatesCommitIfAndOnlyIfTheirBatchDid() throws {
        let store = try TestStore.fresh("prepared")
        defer { TestStore.drop(store) }
        let batch = store.connection, states = try store.connect()
        #expect(try PreparedStates.available(states))
        try batch.execute("CREATE TABLE t (n int)")

        let committed = try prepare(1, states: states, batch: batch)
        // While the batch's transaction runs nobody may decide its states.
        #expect(try !PreparedStates.settle(committed, on: states))
        try batch.execute("COMMIT")
        let aborted = try prepare(2, states: states, batch: batch)
        try batch.execute("ROLLBACK")
        let running = try prepare(3, states: states, batch: batch)

        #expect(try PreparedStates.settleAll(on: states) == 2)
        #expect(try batch.query("SELECT array_agg(n ORDER BY n)::text FROM t").require(String.self, 0, 0) == "{1}")
        let left = try batch.query("SELECT gid FROM pg_prepared_xacts WHERE gid = ANY($1::text[])", [ArrayLiteral.text([committed, aborted, running])])
        #expect(left.rowCount == 1 && left.text(0, 0) == running)
        try batch.execute("COMMIT")
        #expect(try PreparedStates.settle(running, on: states))
        #expect(try batch.query("SELECT array_agg(n ORDER BY n)::text FROM t").require(String.self, 0, 0) == "{1,3}")
    }
}
