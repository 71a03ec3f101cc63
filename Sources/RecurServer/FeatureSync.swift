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
    /// Seconds since 1970 of the newest `updated_at` applied; read and written on the sync thread only.
    private var watermark: Double = 0

    public init(service: ScoringService, location: StoreLocation, interval: Double = 2, logger: Logger) {
        self.service = service
        self.location = location
        self.interval = interval
        self.logger = logger
    }

    /// Loads every stored state now (on the caller's thread); returns how many users were loaded.
    public func loadAll() throws -> Int {
        let store = try Store.open(location)
        return try catchUp(store.connection)
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

    /// Applies rows updated since the watermark (minus a small overlap for commits racing the clock).
    @discardableResult
    private func catchUp(_ c: Connection) throws -> Int {
        let set = service.set
        let rows = try c.query("""
            SELECT user_id, encode(state, 'hex'), extract(epoch FROM updated_at)::float8 FROM user_features
            WHERE set_name = $1 AND set_version = $2 AND updated_at > to_timestamp($3)
            """, [set.name, set.version, max(0, watermark - 5)]).rows
        var changes = [(String, UserFeatureState)]()
        changes.reserveCapacity(rows.count)
        var newest = watermark
        for row in rows {
            let user = try row.require(String.self, 0)
            do {
                changes.append((user, try UserFeatureState(decoding: UserFeatureState.bytes(hex: try row.require(String.self, 1)), for: set)))
            } catch {
                logger.error("skipping unreadable feature state", metadata: ["user": "\(user)", "error": "\(error)"])
            }
            newest = max(newest, try row.require(Double.self, 2))
        }
        watermark = newest
        return service.update(changes, newest: newest > 0 ? newest : nil)
    }
}
