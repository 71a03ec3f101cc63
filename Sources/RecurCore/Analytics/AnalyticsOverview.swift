import Postgres

/// What the live page shows from PostgreSQL, read in one pass: the builders' lag, events per minute
/// by type, the funnel by hour, sessions and late events over the newest day of data, and the
/// products many look at but few buy. Times are anchored at the newest event stored, not the clock,
/// so a store of past events shows its last day as a live one shows today.
public enum AnalyticsOverview {
    /// Writes the overview's fields into an open JSON object; a section that cannot be read (its
    /// rollup dropped, the database away) says why in place of its rows.
    public static func write(into json: inout JSONWriter, on connection: Connection) {
        section("stream", into: &json) { json in
            let builders = try StreamStatus.live(on: connection)
            json.key("partitions")
            builders.json(into: &json)
            let lag = builders.rows.compactMap { $0[3].flatMap { Int($0) } }.reduce(0, +)
            json.field("lag_total", lag)
            json.field("events_committed", sumOfWriters(builders))
            let newest = try TableRows.query(
                """
                SELECT (SELECT max(high_water) FROM event_high_water) AS newest_event,
                       round(extract(epoch FROM now() - (SELECT max(high_water) FROM event_high_water))::numeric, 1) AS freshness_seconds
                """, on: connection)
            json.key("freshness")
            newest.json(into: &json)
        }
        section("events_per_minute", into: &json) { json in
            json.key("rows")
            try TableRows.query(
                """
                SELECT * FROM (SELECT window_start AS minute, views, carts, purchases, refunds, late FROM rollup_events_1m
                               ORDER BY window_start DESC LIMIT 60) r ORDER BY minute
                """, on: connection
            ).json(into: &json)
        }
        section("funnel", into: &json) { json in
            json.key("rows")
            try TableRows.query(
                """
                SELECT * FROM (SELECT window_start AS hour, events, views, carts, purchases, revenue, users, late FROM rollup_funnel_1h
                               ORDER BY window_start DESC LIMIT 24) r ORDER BY hour
                """, on: connection
            ).json(into: &json)
        }
        section("sessions", into: &json) { json in
            json.key("rows")
            try TableRows.query(
                """
                SELECT count(*) AS sessions, count(*) FILTER (WHERE converted) AS converted,
                       count(*) FILTER (WHERE abandoned_cart) AS abandoned_cart,
                       round(avg(events), 2) AS mean_events,
                       round(avg(extract(epoch FROM session_end - session_start)) / 60, 2) AS mean_minutes,
                       min(session_start) AS since
                FROM sessions WHERE session_start > (SELECT max(session_start) FROM sessions) - interval '1 day'
                """, on: connection
            ).json(into: &json)
        }
        section("low_conversion_products", into: &json) { json in
            json.key("rows")
            try TableRows.query("SELECT * FROM products_high_interest_low_conversion LIMIT 10", on: connection).json(into: &json)
        }
    }

    private static func sumOfWriters(_ rows: TableRows) -> Int {
        // `events` is per builder, repeated on each of its partitions' rows.
        var byWriter = [String: Int]()
        for row in rows.rows { byWriter[row[0] ?? ""] = Int(row[5] ?? "") ?? 0 }
        return byWriter.values.reduce(0, +)
    }

    private static func section(_ name: String, into json: inout JSONWriter, _ body: (inout JSONWriter) throws -> Void) {
        var part = JSONWriter(capacity: 1_024)
        part.beginObject()
        do {
            try body(&part)
            part.endObject()
            json.key(name)
            json.raw(part.bytes)
        } catch {
            json.key(name)
            json.beginObject()
            json.field("error", "\(error)".split(separator: "\n").first.map(String.init) ?? "unreadable")
            json.endObject()
        }
    }
}
