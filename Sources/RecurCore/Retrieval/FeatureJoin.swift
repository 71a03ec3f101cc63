import Foundation
import Postgres

/// `recur features join`: the features of a set as of each of the user's rows' times, exactly as
/// `features show --as-of` gives them (events strictly before the row's time), for any time.
///
/// Memory stays bounded whatever the number of rows: the rows go into PostgreSQL, which merges them
/// with the events of their users in (user, time) order; each user's events are folded once, and each
/// row is answered as the fold passes its time. The answers go back into PostgreSQL, which puts them
/// in input order again for the output.
public struct FeatureJoin {
    public var set: FeatureSet
    /// Leave out events stored at or after the row's time (late arrivals): what the online system knew then.
    public var asKnown = false

    public init(set: FeatureSet) { self.set = set }

    /// What a run read, answered and refused.
    public struct Summary: Sendable {
        public var rows = 0
        public var answered = 0
        public var rejected = 0
        public var usersWithoutEvents = 0
        /// The first refusals, with their lines (all are counted in `rejected`).
        public var firstRejections: [String] = []
        public var seconds = 0.0
    }

    /// Reads `rows`, answers every row, and hands the output's text to `write` in input order.
    public func run(
        rows: JoinRows, output: JoinOutput, store: Store, write: (String) throws -> Void, progress: ((String) -> Void)? = nil
    ) throws -> Summary {
        let started = Date()
        var summary = Summary()
        let merge = store.connection
        let results = try store.connect()
        try merge.execute("DROP TABLE IF EXISTS recur_join_rows")
        try merge.execute("CREATE TEMP TABLE recur_join_rows (row_no bigint, user_id text, t bigint)")
        try results.execute("DROP TABLE IF EXISTS recur_join_out")
        try results.execute("CREATE TEMP TABLE recur_join_out (row_no bigint, passthrough text)")

        // 1. The rows, into both connections at once: the question on one, the passthrough on the other.
        try merge.copyIn("COPY recur_join_rows FROM STDIN") { questions in
            try results.copyIn("COPY recur_join_out (row_no, passthrough) FROM STDIN") { passthrough in
                var q = [UInt8](), p = [UInt8]()
                q.reserveCapacity(1 << 20)
                p.reserveCapacity(1 << 20)
                while let next = try rows.next() {
                    summary.rows += 1
                    switch next {
                    case .success(let row):
                        q += Array(String(row.number).utf8); q.append(9)
                        EventLoader.append(row.user, to: &q); q.append(9)
                        q += Array(String(row.time.microseconds).utf8); q.append(10)
                        p += Array(String(row.number).utf8); p.append(9)
                        EventLoader.append(output.passthrough(row), to: &p); p.append(10)
                    case .failure(let rejected):
                        summary.rejected += 1
                        if summary.firstRejections.count < 20 { summary.firstRejections.append(rejected.description) }
                    }
                    if q.count > 1 << 20 {
                        try questions.write(q); q.removeAll(keepingCapacity: true)
                        try passthrough.write(p); p.removeAll(keepingCapacity: true)
                    }
                    if summary.rows % 1_000_000 == 0 { progress?("read \(summary.rows) rows") }
                }
                try questions.write(q)
                try passthrough.write(p)
            }
        }
        try merge.execute("ANALYZE recur_join_rows")

        // 2. Rows and their users' events in one stream ordered by (user, time): a row sorts before
        // events at its own time, which it must not see. As known then, an event counts from when it
        // was stored, if later than its time.
        let known = asKnown ? "greatest(ts, coalesce(stored_at, ts))" : "ts"
        let sql = """
            COPY (
                SELECT user_id, k, kind, row_no, event_type, cents, ts FROM (
                    SELECT r.user_id, r.t AS k, 0 AS kind, r.row_no, NULL::text AS event_type, 0::bigint AS cents, 0::bigint AS ts
                    FROM recur_join_rows r
                    UNION ALL
                    SELECT e.user_id, (extract(epoch FROM \(known)) * 1000000)::bigint, 1, NULL, e.event_type,
                           coalesce((e.amount * 100)::bigint, 0), (extract(epoch FROM e.ts) * 1000000)::bigint
                    FROM events e WHERE e.user_id IN (SELECT DISTINCT user_id FROM recur_join_rows)
                ) merged ORDER BY user_id, k, kind, ts
            ) TO STDOUT
            """
        var state = UserFeatureState(set: set)
        let empty = state
        var currentUser: [UInt8] = []
        var userHasEvents = false
        // Rows of a user seen before any of its events: answered once we know whether it has any.
        var waiting: [(row: Int64, time: Int64)] = []
        var out = [UInt8]()
        out.reserveCapacity(1 << 20)
        func flushOut() throws {
            guard !out.isEmpty else { return }
            try results.copyIn("COPY recur_join_staged FROM STDIN") { try $0.write(out) }
            out.removeAll(keepingCapacity: true)
        }
        try results.execute("DROP TABLE IF EXISTS recur_join_staged")
        try results.execute("CREATE TEMP TABLE recur_join_staged (row_no bigint, vals text)")
        func answer(_ row: Int64, _ time: Int64, hasEvents: Bool) {
            let values = hasEvents ? state.values(asOf: Timestamp(microseconds: time)) : nil
            if !hasEvents { summary.usersWithoutEvents += 1 }
            out += Array(String(row).utf8); out.append(9)
            EventLoader.append(output.features(values), to: &out); out.append(10)
            summary.answered += 1
        }
        func finishUser() {
            // Rows after the user's last event: the state as it ends.
            for w in waiting { answer(w.row, w.time, hasEvents: userHasEvents) }
            waiting.removeAll(keepingCapacity: true)
        }
        var pendingFlush = false
        try merge.copyOut(sql) { line in
            let fields = line.split(separator: 9, maxSplits: 6, omittingEmptySubsequences: false)
            guard fields.count == 7 else { return }
            if !fields[0].elementsEqual(currentUser) {
                finishUser()
                currentUser = Array(fields[0])
                state = empty
                userHasEvents = false
            }
            let k = Self.integer(fields[1])
            if fields[2].first == UInt8(ascii: "0") {
                let row = Self.integer(fields[3])
                if userHasEvents { answer(row, k, hasEvents: true) } else { waiting.append((row, k)) }
            } else {
                if !userHasEvents {
                    // The user has events after all: its earlier rows see an empty history.
                    userHasEvents = true
                    for w in waiting { answer(w.row, w.time, hasEvents: true) }
                    waiting.removeAll(keepingCapacity: true)
                }
                let type: UInt8 =
                    switch fields[4].first {
                    case UInt8(ascii: "v"): 0
                    case UInt8(ascii: "c"): 1
                    case UInt8(ascii: "p"): 2
                    default: 3
                    }
                state.apply(
                    time: Self.integer(fields[6]), type: type,
                    cents: Self.integer(fields[5]))
            }
            if out.count > 4 << 20 { pendingFlush = true }
            // COPY IN on the other connection while this one streams: both are ours.
            if pendingFlush {
                try flushOut()
                pendingFlush = false
            }
        }
        finishUser()
        try flushOut()

        // 3. Back in input order, with each row's input columns in front.
        if let header = output.header { try write(header) }
        var text = [UInt8]()
        try results.execute("ANALYZE recur_join_staged")
        try results.copyOut(
            "COPY (SELECT o.passthrough, s.vals FROM recur_join_out o LEFT JOIN recur_join_staged s USING (row_no) ORDER BY o.row_no) TO STDOUT"
        ) { whole in
            // Each COPY row arrives with its own newline; the text's newlines are escaped inside it.
            let line = whole.last == 10 ? UnsafeRawBufferPointer(rebasing: whole.dropLast()) : whole
            let fields = line.split(separator: 9, maxSplits: 1, omittingEmptySubsequences: false)
            text += Array(CopyText.string(UnsafeRawBufferPointer(rebasing: fields[0])).utf8)
            if fields.count > 1 { text += Array(CopyText.string(UnsafeRawBufferPointer(rebasing: fields[1])).utf8) }
            if text.count > 1 << 20 {
                try write(String(decoding: text, as: UTF8.self))
                text.removeAll(keepingCapacity: true)
            }
        }
        try write(String(decoding: text, as: UTF8.self))
        _ = try? merge.execute("DROP TABLE IF EXISTS recur_join_rows")
        summary.seconds = Date().timeIntervalSince(started)
        return summary
    }

    /// A decimal integer from COPY text.
    static func integer(_ field: Slice<UnsafeRawBufferPointer>) -> Int64 {
        var value: Int64 = 0
        var negative = false
        for byte in field {
            if byte == 45 { negative = true } else if byte >= 48 && byte <= 57 { value = value &* 10 &+ Int64(byte - 48) }
        }
        return negative ? -value : value
    }
}
