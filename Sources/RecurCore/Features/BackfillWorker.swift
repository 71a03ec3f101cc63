import Foundation
import Postgres

/// One backfill worker: its share of users, read on one connection and written on another.
final class BackfillWorker: @unchecked Sendable {
    // Used from the worker's own thread only; the connections are not shared.
    private let plan: BackfillPlan
    private let runID: Int
    private let part: Int
    private let parts: Int
    private let reader: Connection
    private let writer: Connection
    private let tally: BackfillTally
    private let progress: (@Sendable (Int, Int) -> Void)?

    private var snapshotRows = [UInt8]()
    private var stateRows = [UInt8]()
    private var chunkUsers = 0, chunkEvents = 0, chunkSnapshots = 0, chunkBytes = 0
    private var lastUser: String?
    private var stagingReady = false

    init(
        plan: BackfillPlan, runID: Int, part: Int, parts: Int, reader: Connection, writer: Connection,
        tally: BackfillTally, progress: (@Sendable (Int, Int) -> Void)?
    ) {
        self.plan = plan
        self.runID = runID
        self.part = part
        self.parts = parts
        self.reader = reader
        self.writer = writer
        self.tally = tally
        self.progress = progress
    }

    func run() {
        do { try stream() } catch { tally.fail(error) }
    }

    private func stream() throws {
        let resumeAfter = try writer.query("SELECT last_user_id FROM backfill_progress WHERE run_id = $1 AND part = $2", [runID, part])
            .rows.first.map { try $0.require(String.self, 0) }
        var filters = [String]()
        if parts > 1 { filters.append("abs(hashtext(user_id)::bigint) % \(parts) = \(part)") }
        if let resumeAfter { filters.append("user_id > \(try reader.quoteLiteral(resumeAfter))") }
        if let users = plan.users {
            try reader.execute("CREATE TEMP TABLE IF NOT EXISTS backfill_users (user_id text PRIMARY KEY)")
            try reader.execute("TRUNCATE backfill_users")
            _ = try reader.copyIn("COPY backfill_users FROM STDIN") { writer in
                var bytes = [UInt8]()
                for user in Set(users) { EventLoader.append(user, to: &bytes); bytes.append(10) }
                try writer.write(bytes)
            }
            filters.append("user_id IN (SELECT user_id FROM backfill_users)")
        }
        let whereClause = filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND ")
        // COPY takes no parameters; the only literal above is escaped by libpq.
        let sql = """
            COPY (SELECT user_id, (extract(epoch FROM ts) * 1000000)::bigint, event_type, coalesce((amount * 100)::bigint, 0)
                  FROM events \(whereClause) ORDER BY user_id, ts) TO STDOUT
            """
        let set = plan.set
        let cutoffs = plan.asOfTimes.map(\.microseconds)
        // The user's id as COPY wrote it (escaped), to see where the next user starts, and as it is.
        var currentUser: [UInt8] = []
        var currentID = ""
        var state = UserFeatureState(set: set)
        var nextCutoff = 0
        var userEvents = 0

        func finishUser() throws {
            guard !currentUser.isEmpty else { return }
            let user = currentID
            while nextCutoff < cutoffs.count {
                snapshot(user: user, state: state, cutoff: cutoffs[nextCutoff])
                nextCutoff += 1
            }
            let encoded = state.encoded()
            appendState(user: user, encoded: encoded, lastEvent: state.lastEventAt, events: userEvents)
            chunkUsers += 1
            chunkEvents += userEvents
            chunkBytes += encoded.count
            lastUser = user
            if chunkUsers >= plan.usersPerChunk { try flush() }
        }

        try reader.copyOut(sql) { row in
            // user \t micros \t type \t cents
            guard let fields = Self.fields(row) else { return }
            if !row.elementsEqual(currentUser, range: fields.0) {
                try finishUser()
                currentUser = Array(row[fields.0])
                currentID = CopyText.string(UnsafeRawBufferPointer(rebasing: row[fields.0]))
                state = UserFeatureState(set: set)
                nextCutoff = 0
                userEvents = 0
            }
            let time = Self.integer(row, fields.1)
            while nextCutoff < cutoffs.count && cutoffs[nextCutoff] <= time {
                if state.lastEventAt != nil { snapshot(user: currentID, state: state, cutoff: cutoffs[nextCutoff]) }
                nextCutoff += 1
            }
            let type: UInt8 =
                switch row[fields.2.lowerBound] {
                case UInt8(ascii: "v"): 0
                case UInt8(ascii: "c"): 1
                case UInt8(ascii: "p"): 2
                default: 3
                }
            state.apply(time: time, type: type, cents: Self.integer(row, fields.3))
            userEvents += 1
        }
        try finishUser()
        try flush()
    }

    private func snapshot(user: String, state: UserFeatureState, cutoff: Int64) {
        let set = plan.set
        EventLoader.append(set.name, to: &snapshotRows); snapshotRows.append(9)
        snapshotRows.append(contentsOf: Array(String(set.version).utf8)); snapshotRows.append(9)
        EventLoader.appendTimestamp(Timestamp(microseconds: cutoff), to: &snapshotRows); snapshotRows.append(9)
        EventLoader.append(user, to: &snapshotRows); snapshotRows.append(9)
        snapshotRows.append(UInt8(ascii: "{"))
        for (index, value) in state.values(asOf: Timestamp(microseconds: cutoff)).enumerated() {
            if index > 0 { snapshotRows.append(44) }
            if value.isFinite {
                snapshotRows.append(contentsOf: Array(Float(value).description.utf8))
            } else {
                snapshotRows.append(contentsOf: [78, 85, 76, 76])  // NULL
            }
        }
        snapshotRows.append(UInt8(ascii: "}"))
        snapshotRows.append(10)
        chunkSnapshots += 1
    }

    private func appendState(user: String, encoded: [UInt8], lastEvent: Timestamp?, events: Int) {
        EventLoader.append(user, to: &stateRows); stateRows.append(9)
        stateRows.append(contentsOf: [92, 92, 120])  // \\x: a bytea hex literal inside COPY text
        Hex.append(encoded, to: &stateRows)
        stateRows.append(9)
        if let lastEvent { EventLoader.appendTimestamp(lastEvent, to: &stateRows) } else { stateRows.append(contentsOf: [92, 78]) }
        stateRows.append(9)
        stateRows.append(contentsOf: Array(String(events).utf8))
        stateRows.append(10)
    }

    private func flush() throws {
        guard chunkUsers > 0 || !snapshotRows.isEmpty, let lastUser else { return }
        let set = plan.set
        try writer.transaction {
            if !stagingReady {
                try writer.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS backfill_states (user_id text, state bytea, last_event_at timestamptz, events_folded bigint) ON COMMIT DELETE ROWS"
                )
                stagingReady = true
            }
            if !snapshotRows.isEmpty {
                _ = try writer.copyIn("COPY feature_snapshots (set_name, set_version, as_of, user_id, vals) FROM STDIN") { try $0.write(snapshotRows) }
            }
            _ = try writer.copyIn("COPY backfill_states FROM STDIN") { try $0.write(stateRows) }
            // A state that holds fewer stored events than the one there (the stream committed more
            // since this run read them) never replaces it: a backfill can run beside the stream.
            try writer.execute(
                """
                INSERT INTO user_features (set_name, set_version, user_id, state, last_event_at, updated_at, revision, events_folded)
                SELECT $1, $2, user_id, state, last_event_at, clock_timestamp(), 1, events_folded FROM backfill_states
                ON CONFLICT (set_name, set_version, user_id) DO UPDATE
                SET state = excluded.state, last_event_at = excluded.last_event_at, updated_at = excluded.updated_at,
                    revision = user_features.revision + 1, events_folded = excluded.events_folded
                WHERE user_features.events_folded <= excluded.events_folded
                """, [set.name, set.version])
            try writer.execute(
                """
                INSERT INTO backfill_progress (run_id, part, last_user_id) VALUES ($1, $2, $3)
                ON CONFLICT (run_id, part) DO UPDATE SET last_user_id = excluded.last_user_id
                """, [runID, part, lastUser])
            try writer.notify(FeatureChangeLog.channel, payload: set.reference)
        }
        let totals = tally.add(users: chunkUsers, events: chunkEvents, snapshots: chunkSnapshots, stateBytes: chunkBytes)
        progress?(totals.0, totals.1)
        snapshotRows.removeAll(keepingCapacity: true)
        stateRows.removeAll(keepingCapacity: true)
        chunkUsers = 0; chunkEvents = 0; chunkSnapshots = 0; chunkBytes = 0
    }

    /// Ranges of the four tab-separated fields of a COPY row.
    static func fields(_ row: UnsafeRawBufferPointer) -> (Range<Int>, Range<Int>, Range<Int>, Range<Int>)? {
        var ranges = [Range<Int>]()
        ranges.reserveCapacity(4)
        var start = 0
        for index in 0..<row.count where row[index] == 9 || row[index] == 10 {
            ranges.append(start..<index)
            start = index + 1
            if ranges.count == 4 { break }
        }
        if ranges.count == 3 { ranges.append(start..<row.count) }
        guard ranges.count == 4, !ranges[0].isEmpty, !ranges[2].isEmpty else { return nil }
        return (ranges[0], ranges[1], ranges[2], ranges[3])
    }

    static func integer(_ row: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int64 {
        var value: Int64 = 0
        var negative = false
        for index in range {
            let byte = row[index]
            if byte == 45 { negative = true } else if byte >= 48 && byte <= 57 { value = value * 10 + Int64(byte - 48) }
        }
        return negative ? -value : value
    }
}

private extension UnsafeRawBufferPointer {
    func elementsEqual(_ other: [UInt8], range: Range<Int>) -> Bool {
        guard range.count == other.count else { return false }
        var i = 0
        for index in range {
            if self[index] != other[i] { return false }
            i += 1
        }
        return true
    }
}
