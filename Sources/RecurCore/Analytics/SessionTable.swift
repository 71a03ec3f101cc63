/// The one home of the sessions table's SQL: its table, the batch update and the rebuild.
///
/// A session is a run of one user's events with no gap longer than the gap (as the features'
/// session counts read them). A batch's events can extend a session, start one, or, arriving late,
/// join two: so every session within a gap of the batch's events is taken out and recomputed from
/// the stored events, with the same statement a rebuild runs over everything.
struct SessionTable: Sendable {
    let sessions: SessionRollup

    private var name: String { sessions.name }
    private var gap: String { "interval '\(sessions.gap.microseconds) microseconds'" }

    var createSQL: [String] {
        [
            """
                CREATE TABLE \(name) (
                user_id        text NOT NULL,
                session_start  timestamptz NOT NULL,
                session_end    timestamptz NOT NULL,
                events         bigint NOT NULL,
                views          bigint NOT NULL,
                carts          bigint NOT NULL,
                purchases      bigint NOT NULL,
                refunds        bigint NOT NULL,
                revenue        numeric(24, 4) NOT NULL,
                converted      boolean NOT NULL,
                abandoned_cart boolean NOT NULL,
                PRIMARY KEY (user_id, session_start)
            )
            """,
            "CREATE INDEX \(name)_start ON \(name) (session_start)"
        ]
    }

    /// Sessions of the events `e` in `source`, which must hold whole sessions (every event of a user
    /// within a gap of another in it).
    private func sessionize(_ source: String) -> String {
        """
        SELECT user_id, min(ts), max(ts), count(*),
               count(*) FILTER (WHERE event_type = 'view'), count(*) FILTER (WHERE event_type = 'cart'),
               count(*) FILTER (WHERE event_type = 'purchase'), count(*) FILTER (WHERE event_type = 'refund'),
               coalesce(sum(amount) FILTER (WHERE event_type = 'purchase'), 0),
               bool_or(event_type = 'purchase'), bool_or(event_type = 'cart') AND NOT bool_or(event_type = 'purchase')
        FROM (
            SELECT user_id, ts, event_type, amount, sum(starts) OVER (PARTITION BY user_id ORDER BY ts ROWS UNBOUNDED PRECEDING) AS n
            FROM (
                SELECT e.user_id, e.ts, e.event_type, e.amount,
                       CASE WHEN e.ts - lag(e.ts) OVER (PARTITION BY e.user_id ORDER BY e.ts) <= \(gap) THEN 0 ELSE 1 END AS starts
                FROM \(source) e
            ) marked
        ) numbered
        GROUP BY user_id, n
        """
    }

    /// Recomputes the sessions that the events in `batchTable` touch (or, as a rebuild of a range,
    /// that the stored events in it touch: pass a relation of them).
    func applySQL(batchTable: String) -> String {
        """
        WITH touched AS (
            SELECT user_id, min(ts) AS lo, max(ts) AS hi FROM \(batchTable) GROUP BY user_id
        ), gone AS (
            DELETE FROM \(name) s USING touched t
            WHERE s.user_id = t.user_id AND s.session_end >= t.lo - \(gap) AND s.session_start <= t.hi + \(gap)
            RETURNING s.user_id, s.session_start, s.session_end
        ), span AS (
            SELECT t.user_id, least(t.lo, min(g.session_start)) AS lo, greatest(t.hi, max(g.session_end)) AS hi
            FROM touched t LEFT JOIN gone g ON g.user_id = t.user_id GROUP BY t.user_id, t.lo, t.hi
        )
        INSERT INTO \(name)
        \(sessionize("(SELECT x.* FROM span CROSS JOIN LATERAL (SELECT * FROM events v WHERE v.user_id = span.user_id AND v.ts >= span.lo AND v.ts <= span.hi) x)"))
        """
    }

    func rebuildSQL(bounded: Bool) -> [String] {
        guard bounded else { return ["TRUNCATE \(name)", "INSERT INTO \(name) \(sessionize("events"))"] }
        return [applySQL(batchTable: "(SELECT * FROM events WHERE ts >= $1 AND ts < $2) ranged")]
    }

    var recount: (columns: String, select: String) { ("*", sessionize("events")) }

    var ordering: (time: String, keys: [String]) { ("session_start", ["user_id"]) }
}
