import Postgres

/// Reads one user's aggregator state: from `user_features` when the backfill or stream wrote it,
/// else folded from the user's stored events.
public enum OnlineFeatures {
    /// `asOf` earlier than the stored state can answer (its last event minus the allowed lateness)
    /// folds the user's events before `asOf` instead.
    public static func state(of user: String, set: FeatureSet, store: Store, asOf: Timestamp? = nil) throws -> UserFeatureState? {
        let c = store.connection
        if let stored = try storedState(of: user, set: set, connection: c) {
            guard let asOf, !stored.answersExactly(asOf: asOf) else { return stored }
        }
        let until = asOf.map { Double($0.microseconds) / 1_000_000 } ?? Double.greatestFiniteMagnitude
        let rows = try c.query(
            """
            SELECT (extract(epoch FROM ts) * 1000000)::bigint, event_type, coalesce((amount * 100)::bigint, 0)
            FROM events WHERE user_id = $1 AND ts < to_timestamp($2) ORDER BY ts
            """, [user, min(until, 9e12)]
        ).rows
        guard !rows.isEmpty else { return nil }
        var state = UserFeatureState(set: set)
        for row in rows {
            let type = EventType(rawValue: try row.require(String.self, 1)) ?? .view
            state.apply(time: try row.require(Int64.self, 0), type: UserFeatureState.code(type), cents: try row.require(Int64.self, 2))
        }
        return state
    }

    static func storedState(of user: String, set: FeatureSet, connection c: Connection) throws -> UserFeatureState? {
        if let row = try c.query(
            "SELECT encode(state, 'hex') FROM user_features WHERE set_name = $1 AND set_version = $2 AND user_id = $3",
            [set.name, set.version, user]
        ).rows.first {
            let bytes = UserFeatureState.bytes(hex: try row.require(String.self, 0))
            return try UserFeatureState(decoding: bytes, for: set)
        }
        return nil
    }
}
