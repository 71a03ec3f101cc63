import Postgres

/// The second phase of a batch whose states were written on their own connection: the states'
/// transaction is PREPAREd under a name that holds the batch transaction's id, and is committed if
/// and only if that transaction committed.
///
/// Whoever finds a prepared states transaction (the builder after a failure, any builder when it
/// connects) decides it the same way, from PostgreSQL's record of the batch transaction, so a
/// builder killed between the two commits loses nothing and counts nothing twice.
enum PreparedStates {
    static let prefix = "recur-states-"

    /// The name of the states transaction that belongs to the batch transaction `xid`.
    static func name(forBatch xid: String) -> String { prefix + xid }

    /// Whether the server lets transactions be prepared (`max_prepared_transactions` > 0).
    static func available(_ c: Connection) throws -> Bool {
        try c.query("SELECT current_setting('max_prepared_transactions')::int").require(Int.self, 0, 0) > 0
    }

    /// Commits or rolls back the prepared states transaction `name` as its batch transaction ended;
    /// leaves it while that transaction is still running. Returns whether it was decided.
    @discardableResult
    static func settle(_ name: String, on c: Connection) throws -> Bool {
        let xid = String(name.dropFirst(prefix.count))
        guard name.hasPrefix(prefix), !xid.isEmpty, xid.allSatisfy(\.isNumber) else { return false }
        let status = try c.query("SELECT pg_xact_status($1::xid8)", [xid]).text(0, 0)
        let quoted = try c.quoteLiteral(name)
        switch status {
        case "committed": try c.execute("COMMIT PREPARED \(quoted)")
        case "aborted": try c.execute("ROLLBACK PREPARED \(quoted)")
        default: return false
        }
        return true
    }

    /// `settleAll` where the server can prepare transactions at all (elsewhere there is nothing to settle).
    static func settleAllIfAvailable(on c: Connection) throws {
        if try available(c) { try settleAll(on: c) }
    }

    /// Settles every prepared states transaction of this database whose batch has ended; returns how many.
    @discardableResult
    static func settleAll(on c: Connection) throws -> Int {
        let names = try c.query(
            """
            SELECT gid FROM pg_prepared_xacts WHERE database = current_database() AND starts_with(gid, $1)
            """, [prefix]
        ).rows.map { try $0.require(String.self, 0) }
        var settled = 0
        for name in names {
            do {
                if try settle(name, on: c) { settled += 1 }
            } catch let error as PostgresError where !error.isConnectionLoss {
                continue  // another builder is settling it, or has
            }
        }
        return settled
    }
}
