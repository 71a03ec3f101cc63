import Postgres

/// Each builder's lag per partition and events committed, in `stream_status`, for the live page:
/// the server knows no broker, so the builders say where they are.
public enum StreamStatus {
    /// Rows older than this belong to builders that stopped; the page leaves them out.
    public static let liveSeconds = 30

    /// Records where `writer` is; outside any batch's transaction (a lost update is redone a second later).
    static func record(writer: String, topic: String, lag: [Int32: Int64], committed: Int, on connection: Connection) throws {
        guard !lag.isEmpty else { return }
        let partitions = lag.keys.sorted()
        try connection.execute(
            """
            INSERT INTO stream_status (writer, topic, partition, lag, committed_at, events)
            SELECT $1, $2, p, l, now(), $5 FROM unnest($3::int[], $4::bigint[]) AS v(p, l)
            ON CONFLICT (writer, topic, partition) DO UPDATE SET lag = excluded.lag, committed_at = excluded.committed_at, events = excluded.events
            """,
            [
                writer, topic, ArrayLiteral.integers(partitions.map(Int64.init)), ArrayLiteral.integers(partitions.map { lag[$0] ?? 0 }),
                Int64(committed)
            ])
        // A partition this builder no longer owns is someone else's to report.
        try connection.execute(
            "DELETE FROM stream_status WHERE writer = $1 AND topic = $2 AND NOT (partition = ANY($3::int[]))",
            [writer, topic, ArrayLiteral.integers(partitions.map(Int64.init))])
        try connection.execute("DELETE FROM stream_status WHERE committed_at < now() - interval '1 day'")
    }

    /// The live builders' partitions: writer, topic, partition, lag, seconds since reported, events committed.
    public static func live(on connection: Connection) throws -> TableRows {
        try TableRows.query(
            """
            SELECT writer, topic, partition, lag, round(extract(epoch FROM now() - committed_at)::numeric, 1) AS age_seconds, events
            FROM stream_status WHERE committed_at > now() - make_interval(secs => $1) ORDER BY topic, partition
            """, [liveSeconds], on: connection)
    }
}
