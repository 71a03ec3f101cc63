import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import RecurCore

/// Keeps the service's in-memory states in step with `user_features`: a full load at start, then
/// LISTEN/NOTIFY plus a catch-up by update time every interval, so nothing is missed across
/// reconnects. If the database goes away it keeps serving what it has and reconnects with backoff.
public final class FeatureSync: @unchecked Sendable {
    private let service: ScoringService
    private let location: StoreLocation
    private let interval: Double
    private let logger: Logger
    private let running = NIOLockedValueBox(true)
    private var thread: Thread?
    /// Rows stamped after this (seconds since 1970, database clock) may not have been seen yet.
    /// Read and written on the sync thread only, as is `recent`.
    private var floor: Double = 0
    /// Users applied with stamps above the floor, and those stamps.
    private var recent: [String: Double] = [:]

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
        let outcome = try InitialLoad(service: service, logger: logger).run(c, recentAfter: started - Self.commitAllowance)
        floor = started - Self.commitAllowance
        recent = outcome.recent
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
                try c.listen("recur_user_features")
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

    /// Applies rows updated since the last catch-up could have missed them.
    ///
    /// A row's `updated_at` is stamped just before its transaction commits, so a row stamped more
    /// than `commitAllowance` before the previous query's start was already visible to that query.
    /// The floor therefore follows the database's clock, and a quiet store reads nothing; rows read
    /// again in the overlap are skipped when their stamp is one already applied.
    @discardableResult
    private func catchUp(_ c: Connection) throws -> Int {
        guard floor > 0 else { return try fullLoad(c) }
        let set = service.set
        let started = try c.query("SELECT extract(epoch FROM now())::float8").rows.first?.require(Double.self, 0) ?? 0
        // Stamps first: under a busy stream most rows in the overlap were applied already, and
        // fetching and decoding their states again made the sync fall behind.
        let stamps = try c.query("""
            SELECT user_id, extract(epoch FROM updated_at)::float8 FROM user_features
            WHERE set_name = $1 AND set_version = $2 AND updated_at > to_timestamp($3)
            """, [set.name, set.version, floor]).rows
        var wanted = [String]()
        for row in stamps {
            let user = try row.require(String.self, 0)
            if recent[user] != (try row.require(Double.self, 1)) { wanted.append(user) }
        }
        let rows = wanted.isEmpty ? [] : try c.query("""
            SELECT user_id, encode(state, 'hex'), extract(epoch FROM updated_at)::float8 FROM user_features
            WHERE set_name = $1 AND set_version = $2 AND user_id = ANY($3::text[])
            """, [set.name, set.version, Backfill.textArray(wanted)]).rows
        var changes = [(user: String, state: [UInt8])]()
        changes.reserveCapacity(rows.count)
        var newest: Double?
        for row in rows {
            let user = try row.require(String.self, 0)
            let stamp = try row.require(Double.self, 2)
            newest = max(newest ?? stamp, stamp)
            if recent[user] == stamp { continue }
            changes.append((user, UserFeatureState.bytes(hex: try row.require(String.self, 1))))
            if stamp > started - Self.commitAllowance { recent[user] = stamp }
        }
        floor = started - Self.commitAllowance
        recent = recent.filter { $0.value > floor }
        for failure in service.update(changes, newest: newest) {
            recent[failure.user] = nil
            logger.error("skipping unreadable feature state", metadata: ["user": "\(failure.user)", "error": "\(failure.error)"])
        }
        return changes.count
    }

    /// How long before its commit a row may be stamped; generous against long transactions.
    static let commitAllowance = 5.0
}
