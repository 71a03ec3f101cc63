import Postgres

/// Refolds the users queued in `feature_repairs` (they met an event later than the allowed lateness)
/// from every stored event, so their online state equals what the backfill computes.
///
/// Each pass locks the users' state rows first and reads their events after, so an event committed by
/// the stream is either folded here or its commit rereads the repaired state and applies it there.
public struct FeatureRepair {
    public let set: FeatureSet
    public init(set: FeatureSet) { self.set = set }

    /// Users waiting for a refold.
    public func pending(connection c: Connection) throws -> Int {
        try c.query("SELECT count(*) FROM feature_repairs WHERE set_name = $1 AND set_version = $2", [set.name, set.version]).require(Int.self, 0, 0)
    }

    /// Refolds up to `limit` queued users in one transaction; returns those repaired.
    @discardableResult
    public func runOnce(connection c: Connection, limit: Int = 500) throws -> [String] {
        // States a dead builder left prepared would hold their rows' locks, and this pass would wait on them.
        try PreparedStates.settleAllIfAvailable(on: c)
        return try c.transaction {
            let queued = try c.query(
                """
                SELECT user_id FROM feature_repairs WHERE set_name = $1 AND set_version = $2
                ORDER BY queued_at LIMIT $3 FOR UPDATE SKIP LOCKED
                """, [set.name, set.version, limit]
            ).rows.map { try $0.require(String.self, 0) }
            guard !queued.isEmpty else { return [] }
            let users = ArrayLiteral.text(queued)
            _ = try c.query(
                "SELECT 1 FROM user_features WHERE set_name = $1 AND set_version = $2 AND user_id = ANY($3::text[]) FOR UPDATE",
                [set.name, set.version, users])
            let rows = try c.query(
                """
                SELECT user_id, (extract(epoch FROM ts) * 1000000)::bigint, event_type, coalesce((amount * 100)::bigint, 0)
                FROM events WHERE user_id = ANY($1::text[]) ORDER BY user_id, ts
                """, [users])
            var states = [String: (UserFeatureState, Int64)]()
            for row in rows.rows {
                let user = try row.require(String.self, 0)
                var entry = states[user] ?? (UserFeatureState(set: set), 0)
                let type = EventType(rawValue: try row.require(String.self, 2)) ?? .view
                entry.0.apply(time: try row.require(Int64.self, 1), type: UserFeatureState.code(type), cents: try row.require(Int64.self, 3))
                entry.1 += 1
                states[user] = entry
            }
            var written = [String]()
            for (user, (state, count)) in states {
                // Never over a state that holds more events than this refold saw.
                let updated = try c.query(
                    """
                    INSERT INTO user_features (set_name, set_version, user_id, state, last_event_at, updated_at, revision, events_folded)
                    VALUES ($1, $2, $3, decode($4, 'hex'), to_timestamp($5::float8 / 1000000), clock_timestamp(), 1, $6)
                    ON CONFLICT (set_name, set_version, user_id) DO UPDATE
                    SET state = excluded.state, last_event_at = excluded.last_event_at, updated_at = excluded.updated_at,
                        revision = user_features.revision + 1, events_folded = excluded.events_folded
                    WHERE user_features.events_folded <= excluded.events_folded
                    RETURNING user_id
                    """, [set.name, set.version, user, Self.hex(state.encoded()), state.lastEventAt.map { Double($0.microseconds) }, count])
                if updated.rowCount == 1 { written.append(user) }
            }
            // Users without events (all deleted) have nothing to refold; drop them from the queue too.
            let done = written + queued.filter { states[$0] == nil }
            try c.execute(
                "DELETE FROM feature_repairs WHERE set_name = $1 AND set_version = $2 AND user_id = ANY($3::text[])",
                [set.name, set.version, ArrayLiteral.text(done)])
            if !written.isEmpty { try c.notify(FeatureChangeLog.channel, payload: set.reference) }
            return done
        }
    }

    static func hex(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        Hex.append(bytes, to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}
