import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import RecurCore

/// Keeps the service's in-memory states in step with `user_features`: a full load at start, then
/// LISTEN/NOTIFY plus a catch-up from the change log every interval, so nothing is missed across
/// reconnects. If the database goes away it keeps serving what it has and reconnects with backoff.
public final class FeatureSync: @unchecked Sendable {
    private let service: ScoringService
    private let location: StoreLocation
    private let interval: Double
    private let logger: Logger
    private let running = NIOLockedValueBox(true)
    private var thread: Thread?
    /// Changes logged after this (seconds since 1970, database clock) may not have been seen yet.
    /// Read and written on the sync thread only, as is `applied`.
    private var floor: Double = 0
    /// Change-log rows applied with stamps above the floor, and those stamps.
    private var applied: [Int64: Double] = [:]

    public init(service: ScoringService, location: StoreLocation, interval: Double = 2, logger: Logger) {
        self.service = service
        self.location = location
        self.interval = interval
        self.logger = logger
    }

    /// Loads every stored state now (on the caller's thread and every core); returns how many
    /// users were loaded. Until it returns, scoring commands answer LOADING.
    public func loadAll() throws -> Int {
        let store = try Store.open(location)
        let count = try fullLoad(store.connection)
        service.markFeaturesLoaded()
        return count
    }

    private func fullLoad(_ c: Connection) throws -> Int {
        let started = try c.query("SELECT extract(epoch FROM now())::float8").rows.first?.require(Double.self, 0) ?? 0
        try InitialLoad(service: service, logger: logger).run(c)
        floor = started - Self.commitAllowance
        applied = [:]
        return service.loadProgress.loaded
    }

    public func start() {
        let thread = Thread { [self] in self.loop() }
        thread.name = "recur-feature-sync"
        self.thread = thread
        thread.start()
    }

    public func stop() { running.withLockedValue { $0 = false } }

    private var isRunning: Bool { running.withLockedValue { $0 } }

    private func loop() {
        var backoff = 0.5
        while isRunning {
            do {
                let store = try Store.open(location, migrate: false)
                let c = store.connection
                try c.listen(FeatureChangeLog.channel)
                _ = try catchUp(c)
                backoff = 0.5
                var last = Date()
                while isRunning {
                    let notes = try c.notifications(timeout: min(0.5, interval))
                    if !notes.isEmpty || Date().timeIntervalSince(last) >= interval {
                        _ = try catchUp(c)
                        last = Date()
                    }
                }
            } catch {
                logger.warning("feature sync lost the database, serving the last known features", metadata: ["error": "\(error)", "retry_in": "\(backoff)s"])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 10)
            }
        }
    }

    /// Applies the states changed since the last catch-up could have missed them.
    ///
    /// A change is logged just before its transaction commits, so one logged more than
    /// `commitAllowance` before the previous query's start was already visible to that query. The
    /// floor therefore follows the database's clock, and a quiet store reads nothing; log rows seen
    /// again in the overlap are skipped by id. Away longer than the log is kept, it scans the states.
    @discardableResult
    private func catchUp(_ c: Connection) throws -> Int {
        guard floor > 0 else { return try fullLoad(c) }
        let set = service.set
        let started = try c.query("SELECT extract(epoch FROM now())::float8").require(Double.self, 0, 0)
        let rows: [QueryResult.Row]
        var newest: Double?
        if started - floor < FeatureChangeLog.retention - 60 {
            // One row per changed user of each change not applied yet.
            let logged = try c.query(
                """
                SELECT c.id, extract(epoch FROM c.changed_at)::float8, u FROM feature_changes c, unnest(c.users) u
                WHERE c.set_name = $1 AND c.set_version = $2 AND c.changed_at > to_timestamp($3) AND NOT c.id = ANY($4::bigint[])
                """, [set.name, set.version, floor, ArrayLiteral.integers(Array(applied.keys))]
            ).rows
            var users = Set<String>()
            var seen = [Int64: Double]()
            for row in logged {
                users.insert(try row.require(String.self, 2))
                seen[try row.require(Int64.self, 0)] = try row.require(Double.self, 1)
            }
            for (id, stamp) in seen {
                newest = max(newest ?? stamp, stamp)
                if stamp > started - Self.commitAllowance { applied[id] = stamp }
            }
            // By primary key: a plan that does not depend on the statistics of a table just created.
            rows =
                users.isEmpty
                ? []
                : try c.query(
                    """
                    SELECT user_id, encode(state, 'hex') FROM user_features
                    WHERE set_name = $1 AND set_version = $2 AND user_id = ANY($3::text[])
                    """, [set.name, set.version, ArrayLiteral.text(Array(users))]
                ).rows
        } else {
            rows = try c.query(
                """
                SELECT user_id, encode(state, 'hex'), extract(epoch FROM updated_at)::float8 FROM user_features
                WHERE set_name = $1 AND set_version = $2 AND updated_at > to_timestamp($3)
                """, [set.name, set.version, floor]
            ).rows
            newest = try rows.map { try $0.require(Double.self, 2) }.max()
            applied = [:]
        }
        var changes = [(user: String, state: [UInt8])]()
        changes.reserveCapacity(rows.count)
        for row in rows {
            changes.append((try row.require(String.self, 0), UserFeatureState.bytes(hex: try row.require(String.self, 1))))
        }
        floor = started - Self.commitAllowance
        applied = applied.filter { $0.value > floor }
        for failure in service.update(changes, newest: newest) {
            logger.error("skipping unreadable feature state", metadata: ["user": "\(failure.user)", "error": "\(failure.error)"])
        }
        return changes.count
    }

    /// How long before its commit a row may be stamped; generous against long transactions.
    static let commitAllowance = 5.0
}
