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
    /// From this many distinct users on, the merge reads the whole events index in order instead of
    /// looking each user up (both give the same rows; this is only which is faster).
    public var wholeIndexFromUsers = 10_000

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
        let started = Date()
    }

    /// Reads `rows`, answers every row, and hands the output's text to `write` in input order.
    public func run(
        rows: JoinRows, output: JoinOutput, store: Store, write: (String) throws -> Void, progress: ((String) -> Void)? = nil
    ) throws -> Summary {
        // Answers come out in (user, time) order; rows and answers wait on disk, not in memory, for the reorder.
        let spill = try JoinSpill()
        var answer = [UInt8]()
        var summary = try merge(
            rows: rows, store: store,
            keep: { row in
                answer.removeAll(keepingCapacity: true)
                output.appendPassthrough(row, to: &answer)
                return Int64(try spill.addRow(answer))
            }, progress: progress,
            answer: { row, values in
                answer.removeAll(keepingCapacity: true)
                output.appendFeatures(values, to: &answer)
                try spill.setAnswer(Int(row), answer)
            })
        progress?(String(format: "answers spilled in %.1f s", Date().timeIntervalSince(summary.started)))
        if let header = output.header { try write(header) }
        var text = [UInt8]()
        text.reserveCapacity(1 << 20)
        try spill.forEachRow { input, features in
            text += input
            text += features
            text.append(10)
            if text.count > 1 << 20 {
                try write(String(decoding: text, as: UTF8.self))
                text.removeAll(keepingCapacity: true)
            }
        }
        try write(String(decoding: text, as: UTF8.self))
        _ = try? store.connection.execute("DROP TABLE IF EXISTS recur_join_rows")
        summary.seconds = Date().timeIntervalSince(summary.started)
        return summary
    }

    /// The heart of the join: `keep` sees every readable row as it is read and numbers it, then
    /// `answer` gets each row's number and features in (user, time) order — nil for a user with no
    /// events at all. The rows stay in `recur_join_rows` on the store's connection.
    public func merge(
        rows: JoinRows, store: Store, keep: (JoinRows.Row) throws -> Int64, progress: ((String) -> Void)? = nil,
        answer: (Int64, [Double]?) throws -> Void
    ) throws -> Summary {
        var summary = Summary()
        let c = store.connection
        try c.execute("DROP TABLE IF EXISTS recur_join_rows")
        try c.execute("CREATE TEMP TABLE recur_join_rows (row_no bigint, user_id text, at timestamptz)")
        try c.copyIn("COPY recur_join_rows FROM STDIN") { writer in
            var q = [UInt8]()
            q.reserveCapacity(1 << 20)
            while let next = try rows.next() {
                summary.rows += 1
                switch next {
                case .success(let row):
                    let number = try keep(row)
                    q += Array(String(number).utf8); q.append(9)
                    EventLoader.append(row.user, to: &q); q.append(9)
                    EventLoader.appendTimestamp(row.time, to: &q); q.append(10)
                case .failure(let rejected):
                    summary.rejected += 1
                    if summary.firstRejections.count < 20 { summary.firstRejections.append(rejected.description) }
                }
                if q.count > 1 << 20 {
                    try writer.write(q)
                    q.removeAll(keepingCapacity: true)
                }
                if summary.rows % 1_000_000 == 0 { progress?("read \(summary.rows) rows") }
            }
            try writer.write(q)
        }
        try c.execute("ANALYZE recur_join_rows")
        progress?(String(format: "read %d rows in %.1f s", summary.rows, Date().timeIntervalSince(summary.started)))

        // Rows and their users' events in one stream ordered by (user, time). Each user's events come
        // in time order straight from the covering index (events_user_ts_cover), merged with the
        // sorted rows; with rows for many users the whole index is read rather than looked up per user.
        // As known then, an event counts from when it was stored, if later than its time: that order
        // is not the index's, so PostgreSQL sorts.
        let manyUsers = try c.query("SELECT count(DISTINCT user_id) FROM recur_join_rows").require(Int.self, 0, 0) >= wholeIndexFromUsers
        // Binary COPY: timestamps and amounts travel as PostgreSQL holds them, not printed as text
        // (formatting them cost the server more than the whole transfer).
        // Fields: user, kind (0 row, 1 event), row, k (the time the merge orders by), type, amount, the event's own time.
        let sql: String
        if asKnown {
            sql = """
                COPY (
                    SELECT user_id, kind, row_no, k, event_type, amount, ts FROM (
                        SELECT r.user_id, r.at AS k, 0 AS kind, r.row_no, NULL::timestamptz AS ts, NULL::text AS event_type, NULL::numeric AS amount
                        FROM recur_join_rows r
                        UNION ALL
                        SELECT e.user_id, greatest(e.ts, coalesce(e.stored_at, e.ts)), 1, NULL, e.ts, e.event_type, e.amount
                        FROM events e WHERE e.user_id IN (SELECT DISTINCT user_id FROM recur_join_rows)
                    ) merged ORDER BY user_id, k, kind
                ) TO STDOUT (FORMAT binary)
                """
        } else {
            sql = """
                COPY (
                    SELECT user_id, kind, row_no, at, event_type, amount, at FROM (
                        SELECT r.user_id, r.at, 0 AS kind, r.row_no, NULL::text AS event_type, NULL::numeric AS amount
                        FROM recur_join_rows r
                        UNION ALL
                        SELECT e.user_id, e.ts, 1, NULL, e.event_type, e.amount
                        FROM events e \(manyUsers ? "" : "WHERE EXISTS (SELECT 1 FROM recur_join_rows r WHERE r.user_id = e.user_id)")
                    ) merged ORDER BY user_id, at
                ) TO STDOUT (FORMAT binary)
                """
        }
        var state = UserFeatureState(set: set)
        let empty = state
        var currentUser: [UInt8] = []
        var userHasEvents = false
        // Rows of a user seen before any of its events: answered once we know whether it has any.
        var waiting: [(row: Int64, time: Int64)] = []
        // Events of the latest time seen, not applied yet: a row at that same time must not see them,
        // and the merge does not order a row and an event of one time.
        // `known` orders them (the event's time, or when it was stored as known then); `time` is folded.
        var held: [(known: Int64, time: Int64, type: UInt8, cents: Int64)] = []
        func applyHeld(before known: Int64) {
            guard let first = held.first, first.known < known else { return }
            for event in held { state.apply(time: event.time, type: event.type, cents: event.cents) }
            held.removeAll(keepingCapacity: true)
        }
        func respond(_ row: Int64, _ time: Int64, hasEvents: Bool) throws {
            if !hasEvents { summary.usersWithoutEvents += 1 }
            try answer(row, hasEvents ? state.values(asOf: Timestamp(microseconds: time)) : nil)
            summary.answered += 1
        }
        func finishUser() throws {
            for w in waiting { try respond(w.row, w.time, hasEvents: userHasEvents) }
            waiting.removeAll(keepingCapacity: true)
            held.removeAll(keepingCapacity: true)
        }
        var first = true
        try c.copyOut(sql) { message in
            var line = message
            if first {
                first = false
                guard let body = CopyBinary.skipHeader(message) else { throw Self.unreadableMerge }
                line = body
            }
            var fields = CopyBinaryFields(line)
            if fields.count == -1 { return }  // the trailer
            guard fields.count == 7, let user = try fields.next(), let kind = try fields.next().flatMap(CopyBinary.integer) else {
                throw Self.unreadableMerge
            }
            let rowNumber = try fields.next().flatMap(CopyBinary.integer)
            guard let k = try fields.next().flatMap(CopyBinary.unixMicroseconds) else { throw Self.unreadableMerge }
            let eventType = try fields.next()
            let amount = try fields.next()
            let time = try fields.next().flatMap(CopyBinary.unixMicroseconds)
            if !user.elementsEqual(currentUser) {
                try finishUser()
                currentUser = Array(user)
                state = empty
                userHasEvents = false
            }
            if kind == 0 {
                guard let row = rowNumber else { throw Self.unreadableMerge }
                applyHeld(before: k)
                if userHasEvents { try respond(row, k, hasEvents: true) } else { waiting.append((row, k)) }
                return
            }
            guard let eventType, let time else { throw Self.unreadableMerge }
            var cents: Int64 = 0
            if let amount {
                guard let scaled = CopyBinary.scaledNumeric(amount, scale: 2) else { throw Self.unreadableMerge }
                cents = scaled
            }
            if !userHasEvents {
                // The user has events after all: its earlier rows see an empty history.
                userHasEvents = true
                for w in waiting { try respond(w.row, w.time, hasEvents: true) }
                waiting.removeAll(keepingCapacity: true)
            }
            let type: UInt8 =
                switch eventType.first {
                case UInt8(ascii: "v"): 0
                case UInt8(ascii: "c"): 1
                case UInt8(ascii: "p"): 2
                default: 3
                }
            if let last = held.last, last.known != k { applyHeld(before: k) }
            held.append((known: k, time: time, type: type, cents: cents))
        }
        try finishUser()
        progress?(String(format: "answered %d rows in %.1f s", summary.answered, Date().timeIntervalSince(summary.started)))
        return summary
    }

    static let unreadableMerge = PostgresError(
        origin: .client, message: "the merge of rows and events did not come back as (text, int4, int8, timestamptz, text, numeric, timestamptz)")
}
