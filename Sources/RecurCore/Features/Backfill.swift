import Foundation
import Postgres

/// Computes `feature_snapshots` and refreshes `user_features` from `events`, streaming users in order.
///
/// Each worker reads its share of users (split by hash) with COPY OUT ordered by (user_id, ts), folds
/// each user's events through `UserFeatureState`, takes a snapshot at every as-of time the user has
/// history before, and commits every chunk of users together with its progress, so an interrupted
/// run resumes after the last committed chunk. Re-running replaces the snapshots it covers.
public struct Backfill {
    public let plan: BackfillPlan
    public init(plan: BackfillPlan) { self.plan = plan }

    /// The events a run reads: all of them, or those of the plan's users; what progress is measured against.
    public func eventsToRead(store: Store) throws -> Int {
        if let users = plan.users {
            return try store.connection.query("SELECT count(*) FROM events WHERE user_id = ANY($1::text[])", [ArrayLiteral.text(users)]).require(
                Int.self, 0, 0)
        }
        return try store.connection.query("SELECT count(*) FROM events").require(Int.self, 0, 0)
    }

    public func run(store: Store, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> BackfillSummary {
        let started = Date()
        let set = plan.set
        let c = store.connection
        // A stream builder that died between its two commits may hold users' rows in a prepared transaction.
        try PreparedStates.settleAllIfAvailable(on: c)
        try registerSet(c)
        let cutoffs = plan.asOfTimes.map { $0.iso8601 }
        let usersKey = plan.users.map { $0.sorted().joined(separator: "\n") }
        let cutoffArray = "{" + cutoffs.joined(separator: ",") + "}"
        var resumed = false
        let runID: Int
        if let open = try c.query(
            """
            SELECT id FROM backfill_runs WHERE set_name = $1 AND set_version = $2 AND as_of_times = $3::timestamptz[]
              AND users_filter IS NOT DISTINCT FROM $4 AND finished_at IS NULL ORDER BY id DESC LIMIT 1
            """, [set.name, set.version, cutoffArray, usersKey]
        ).rows.first {
            runID = try open.require(Int.self, 0)
            resumed = true
        } else {
            runID = try c.transaction {
                // Replace: nothing this run covers survives from an earlier run.
                if let users = plan.users {
                    try c.execute(
                        "DELETE FROM feature_snapshots WHERE set_name = $1 AND set_version = $2 AND as_of = ANY($3::timestamptz[]) AND user_id = ANY($4::text[])",
                        [set.name, set.version, cutoffArray, ArrayLiteral.text(users)])
                } else {
                    try c.execute(
                        "DELETE FROM feature_snapshots WHERE set_name = $1 AND set_version = $2 AND as_of = ANY($3::timestamptz[])",
                        [set.name, set.version, cutoffArray])
                }
                try c.execute(
                    "UPDATE backfill_runs SET finished_at = now() WHERE set_name = $1 AND set_version = $2 AND finished_at IS NULL",
                    [set.name, set.version])
                return try c.query(
                    "INSERT INTO backfill_runs (set_name, set_version, as_of_times, users_filter) VALUES ($1, $2, $3::timestamptz[], $4) RETURNING id",
                    [set.name, set.version, cutoffArray, usersKey]
                ).require(Int.self, 0, 0)
            }
        }

        let tally = BackfillTally()
        let workers = max(1, plan.workers)
        var threads = [Thread]()
        let done = DispatchGroup()
        for part in 0..<workers {
            let reader = try store.connect(), writer = try store.connect()
            let worker = BackfillWorker(plan: plan, runID: runID, part: part, parts: workers, reader: reader, writer: writer, tally: tally, progress: progress)
            done.enter()
            let thread = Thread {
                worker.run(); done.leave()
            }
            thread.stackSize = 8 << 20
            threads.append(thread)
            thread.start()
        }
        done.wait()
        if let failure = tally.failure { throw failure }
        try c.execute("UPDATE backfill_runs SET finished_at = now() WHERE id = $1", [runID])
        try FeatureChangeLog.prune(c)
        var summary = tally.summary
        summary.resumed = resumed
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    private func registerSet(_ c: Connection) throws {
        let set = plan.set
        if let stored = try c.query("SELECT checksum FROM feature_sets WHERE set_name = $1 AND set_version = $2", [set.name, set.version]).rows.first {
            let checksum = try stored.require(String.self, 0)
            guard checksum == set.checksum else { throw BackfillError.definitionChanged(set.reference) }
        } else {
            try c.execute(
                "INSERT INTO feature_sets (set_name, set_version, feature_names, definition, checksum) VALUES ($1, $2, $3::text[], $4, $5)",
                [set.name, set.version, ArrayLiteral.text(set.featureNames), set.source, set.checksum])
        }
        // Features by name in SQL (features_<set>_v<version>); the view's SQL lives in migration 7.
        try c.query("SELECT recur_feature_view($1, $2)", [set.name, set.version])
    }

}

/// Why a backfill refused to run.
public enum BackfillError: Error, CustomStringConvertible {
    case definitionChanged(String)
    case noAsOfTimes

    public var description: String {
        switch self {
        case .definitionChanged(let reference):
            "feature set \(reference) changed since its snapshots were written; give the changed definition a new version"
        case .noAsOfTimes:
            "no as-of times: give --as-of T, or --from D --to D --every 7d"
        }
    }
}

/// Counters shared by the workers, behind a lock.
final class BackfillTally: @unchecked Sendable {
    private let lock = NSLock()
    private var value = BackfillSummary()
    private var error: Error?

    func add(users: Int, events: Int, snapshots: Int, stateBytes: Int) -> (Int, Int) {
        lock.lock(); defer { lock.unlock() }
        value.users += users; value.events += events; value.snapshots += snapshots; value.stateBytes += stateBytes
        return (value.users, value.events)
    }

    func fail(_ failure: Error) {
        lock.lock(); defer { lock.unlock() }
        if error == nil { error = failure }
    }

    var failure: Error? { lock.lock(); defer { lock.unlock() }; return error }
    var summary: BackfillSummary { lock.lock(); defer { lock.unlock() }; return value }
}
