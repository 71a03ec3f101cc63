import Foundation
import Postgres

/// A summary of what the `events` and `rejected_events` tables hold.
public struct EventStats: Sendable {
    public var events = 0
    public var users = 0
    public var rejected = 0
    public var byType: [String: Int] = [:]
    public var first: String?
    public var last: String?
    public var revenue = 0.0

    public static func read(from store: Store) throws -> EventStats {
        let c = store.connection
        var stats = EventStats()
        let totals = try c.query(
            """
            SELECT count(*), count(DISTINCT user_id), to_char(min(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   to_char(max(ts) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   coalesce(sum(CASE event_type WHEN 'purchase' THEN amount WHEN 'refund' THEN -amount ELSE 0 END), 0)::float8
            FROM events
            """)
        stats.events = try totals.require(Int.self, 0, 0)
        stats.users = try totals.require(Int.self, 0, 1)
        stats.first = try totals.decode(String.self, 0, 2)
        stats.last = try totals.decode(String.self, 0, 3)
        stats.revenue = try totals.require(Double.self, 0, 4)
        for row in try c.query("SELECT event_type, count(*) FROM events GROUP BY 1 ORDER BY 1").rows {
            stats.byType[try row.require(String.self, 0)] = try row.require(Int.self, 1)
        }
        stats.rejected = try c.query("SELECT count(*) FROM rejected_events").require(Int.self, 0, 0)
        return stats
    }

    /// Weekly cutoffs that suit the stored dates, for a 30-day horizon: the first leaves 60 days of
    /// history before it, the last leaves a whole horizon of events after it (its labels complete);
    /// nil when the events span too little for two of them.
    public var suggestedCutoffs: (from: String, to: String, every: String, horizon: String)? {
        guard let first = first.flatMap(DateText.parse), let last = last.flatMap(DateText.parse) else { return nil }
        let day = Timestamp.microsecondsPerDay
        let start = (first.microseconds / day + 60) * day
        let end = (last.microseconds / day - 30) * day
        let weeks = (end - start) / (7 * day)
        guard weeks >= 1 else { return nil }
        func date(_ t: Int64) -> String { String(Timestamp(microseconds: t).iso8601.prefix(10)) }
        return (date(end - weeks * 7 * day), date(end), "7d", "30d")
    }

    public var json: String {
        var object: [String: Any] = [
            "events": events, "users": users, "rejected": rejected, "by_type": byType,
            "net_revenue": (revenue * 100).rounded() / 100
        ]
        object["first_event"] = first ?? NSNull()
        object["last_event"] = last ?? NSNull()
        if let s = suggestedCutoffs { object["suggested_cutoffs"] = ["from": s.from, "to": s.to, "every": s.every, "horizon": s.horizon] }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    public var table: String {
        var lines = [("events", String(events)), ("users", String(users))]
        for type in EventType.allCases { lines.append(("  \(type.rawValue)", String(byType[type.rawValue] ?? 0))) }
        lines += [
            ("rejected rows", String(rejected)), ("first event", first ?? "-"), ("last event", last ?? "-"),
            ("net revenue", String(format: "%.2f", revenue))
        ]
        if let s = suggestedCutoffs {
            lines.append(("suggested cutoffs", "--from \(s.from) --to \(s.to) --every \(s.every) --horizon \(s.horizon)"))
        } else if events > 0 {
            lines.append(("suggested cutoffs", "none: weekly cutoffs with 60 days of history and a 30-day horizon need about 100 days of events"))
        }
        let width = lines.map(\.0.count).max() ?? 0
        return lines.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
