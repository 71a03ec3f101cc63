import Postgres

/// Where models can be compared on labels none of them learnt: the first backfilled as-of time at or
/// after every model's last training cutoff plus horizon whose own label window the stored events cover.
/// A model's holdout is never such a time when its horizon is longer than its cadence (30 days of labels,
/// weekly cutoffs), so this is what `recur models compare` falls back to by default.
public enum CleanCutoff {
    public static func first(notBefore earliest: Timestamp, horizon: TimeSpan, setName: String, setVersion: Int, store: Store) throws -> Timestamp? {
        guard
            let lastEvent = try store.connection.query("SELECT (extract(epoch FROM max(ts)) * 1000000)::bigint FROM events")
                .decode(Int64.self, 0, 0)
        else { return nil }
        let latest = Timestamp(microseconds: lastEvent - horizon.microseconds)
        guard latest >= earliest else { return nil }
        let micros = try store.connection.query(
            """
            SELECT (extract(epoch FROM min(as_of)) * 1000000)::bigint FROM feature_snapshots
             WHERE set_name = $1 AND set_version = $2 AND as_of >= $3::timestamptz AND as_of <= $4::timestamptz
            """, [setName, String(setVersion), earliest.iso8601, latest.iso8601]
        ).decode(Int64.self, 0, 0)
        return micros.map { Timestamp(microseconds: $0) }
    }
}
