import Foundation
import Postgres

/// Commits micro-batches: the fence, new events (deduplicated), the touched users' states, rejects,
/// repairs and the NOTIFY, all in ONE transaction, so a batch is either wholly there or not at all.
///
/// States are written only if their row is still at the revision they were read at; a row another
/// writer changed meanwhile is reread under lock and the batch's events applied to it again.
final class StreamWriter {
    let connection: Connection
    let set: FeatureSet
    let writerName: String
    private(set) var cache: UserStateCache
    private var recent: RecentEventIDs
    private var stagingReady = false
    private var lastPrune = Date.distantPast

    init(connection: Connection, set: FeatureSet, writerName: String, maxUsersInMemory: Int) {
        self.connection = connection
        self.set = set
        self.writerName = writerName
        cache = UserStateCache(capacity: maxUsersInMemory)
        recent = RecentEventIDs(capacity: 1 << 20)
    }

    var usersInMemory: Int { cache.count }
    func forgetStates() { cache.removeAll() }
    func forget(_ users: some Sequence<String>) { for user in users { cache.remove(user) } }

    private struct Refused: Error {
        let outcome: StreamCommitOutcome
    }

    func commit(_ batch: StreamBatch) throws -> StreamCommitOutcome {
        let started = Date()
        var seen = Set<String>()
        seen.reserveCapacity(batch.events.count)
        let candidates = batch.events.filter { seen.insert($0.eventID).inserted }
        let loader = EventLoader(connection: connection, source: batch.source)
        var written = [String: UserStateCache.Entry]()
        var fresh = [Event]()
        var result = StreamCommitResult()
        do {
            try connection.transaction {
                try checkFence(batch.fence)
                fresh = try insertEvents(candidates, loader: loader)
                let (states, late, repairs) = try writeStates(for: fresh)
                written = states
                result.late = late
                result.repairsQueued = repairs.count
                try loader.insertRejected(batch.rejected)
                if !repairs.isEmpty {
                    try connection.execute("""
                        INSERT INTO feature_repairs (set_name, set_version, user_id) SELECT $1, $2, unnest($3::text[])
                        ON CONFLICT DO NOTHING
                        """, [set.name, set.version, ArrayLiteral.text(repairs.sorted())])
                }
                if case .file(let file) = batch.fence {
                    try connection.execute("UPDATE stream_files SET rows_read = $2, loaded = $3, rejected = $4 WHERE sha256 = $1",
                                           [file.sha256, batch.records, fresh.count, batch.rejected.count])
                }
                if !written.isEmpty { try connection.notify("recur_user_features", payload: set.reference) }
            }
        } catch let refused as Refused {
            return refused.outcome
        }
        for (user, entry) in written { cache.put(user, entry) }
        for event in fresh { recent.insert(event.eventID) }
        result.inserted = fresh.count
        result.duplicates = batch.events.count - fresh.count
        result.rejected = batch.rejected.count
        result.users = written.count
        result.newestEvent = fresh.map(\.timestamp).max()
        result.committedAt = Date()
        result.seconds = result.committedAt.timeIntervalSince(started)
        if result.committedAt.timeIntervalSince(lastPrune) > 60 {
            // Outside the batch's transaction; a failure here shows again, and is handled, at the next commit.
            _ = try? FeatureChangeLog.prune(connection)
            lastPrune = result.committedAt
        }
        return .committed(result)
    }

    /// Moves the stored offsets forward only from where the batch began; takes the rows' locks, so two
    /// builders that both think they own a partition serialize here and the second is refused.
    private func checkFence(_ fence: StreamBatch.Fence) throws {
        switch fence {
        case .offsets(let topic, let group, let ranges):
            guard !ranges.isEmpty else { return }
            let updated = try connection.execute("""
                UPDATE stream_offsets o SET next_offset = v.next, writer = $2, group_id = $3, updated_at = now()
                FROM unnest($4::int[], $5::bigint[], $6::bigint[]) AS v(p, start, next)
                WHERE o.topic = $1 AND o.partition = v.p AND o.next_offset = v.start
                """, [topic, writerName, group, ArrayLiteral.integers(ranges.map { Int64($0.partition) }), ArrayLiteral.integers(ranges.map(\.start)),
                      ArrayLiteral.integers(ranges.map(\.next))])
            if updated != ranges.count { throw Refused(outcome: .fenced) }
        case .file(let file):
            let inserted = try connection.execute("""
                INSERT INTO stream_files (sha256, name, size, rows_read, loaded, rejected) VALUES ($1, $2, $3, 0, 0, 0)
                ON CONFLICT (sha256) DO NOTHING
                """, [file.sha256, file.name, file.size])
            if inserted != 1 { throw Refused(outcome: .alreadyLoaded) }
        }
    }

    /// Inserts the events not stored yet and returns them in arrival order. Events whose id was not
    /// committed recently go straight in with COPY; the rest (and everything, if COPY meets a stored
    /// id after all) go through a staging table and `ON CONFLICT DO NOTHING`.
    private func insertEvents(_ candidates: [Event], loader: EventLoader) throws -> [Event] {
        guard !candidates.isEmpty else { return [] }
        let suspects = candidates.filter { recent.contains($0.eventID) }
        try connection.execute("SAVEPOINT recur_events")
        do {
            if suspects.count < candidates.count {
                let suspectIDs = Set(suspects.map(\.eventID))
                _ = try loader.copy(candidates.filter { !suspectIDs.contains($0.eventID) }, into: "events")
            }
            try connection.execute("RELEASE SAVEPOINT recur_events")
            guard !suspects.isEmpty else { return candidates }
            let stored = try staged(suspects, loader: loader)
            let suspectIDs = Set(suspects.map(\.eventID))
            return candidates.filter { !suspectIDs.contains($0.eventID) || stored.contains($0.eventID) }
        } catch let error as PostgresError where error.isUniqueViolation {
            try connection.execute("ROLLBACK TO SAVEPOINT recur_events")
            let stored = try staged(candidates, loader: loader)
            return candidates.filter { stored.contains($0.eventID) }
        }
    }

    private func staged(_ events: [Event], loader: EventLoader) throws -> Set<String> {
        if !stagingReady {
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS recur_stream_stage (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            try connection.execute("""
                CREATE TEMP TABLE IF NOT EXISTS recur_stream_states
                (user_id text, state bytea, last_event_at timestamptz, revision bigint, events_folded bigint) ON COMMIT DELETE ROWS
                """)
            stagingReady = true
        }
        try connection.execute("TRUNCATE recur_stream_stage")
        _ = try loader.copy(events, into: "recur_stream_stage")
        let rows = try connection.query("INSERT INTO events SELECT * FROM recur_stream_stage ON CONFLICT (event_id) DO NOTHING RETURNING event_id")
        var ids = Set<String>()
        ids.reserveCapacity(rows.rowCount)
        for index in 0..<rows.rowCount { if let id = rows.text(index, 0) { ids.insert(id) } }
        return ids
    }

    /// Folds the new events into their users' states and writes them; returns the states written,
    /// how many events came later than the allowed lateness, and the users that need a refold.
    private func writeStates(for events: [Event]) throws -> ([String: UserStateCache.Entry], Int, Set<String>) {
        guard !events.isEmpty else { return ([:], 0, []) }
        var order = [String]()
        var byUser = [String: [Event]]()
        for event in events {
            if byUser[event.userID] == nil { order.append(event.userID) }
            byUser[event.userID, default: []].append(event)
        }
        var current = [String: UserStateCache.Entry]()
        var missing = [String]()
        for user in order {
            if let entry = cache.get(user) { current[user] = entry } else { missing.append(user) }
        }
        var repairs = Set<String>()
        if !missing.isEmpty { try load(missing, forUpdate: false, into: &current, repairs: &repairs) }

        var late = 0
        var written = [String: UserStateCache.Entry]()
        func fold(_ user: String) {
            var entry = current[user] ?? UserStateCache.Entry(state: UserFeatureState(set: set), revision: 0, eventsFolded: 0)
            let lateness = set.allowedLateness
            for event in byUser[user]! {
                if let last = entry.state.lastEventAt, event.timestamp < last - lateness {
                    late += 1
                    repairs.insert(user)
                }
                entry.state.apply(event)
            }
            entry.revision += 1
            entry.eventsFolded += Int64(byUser[user]!.count)
            written[user] = entry
        }
        order.forEach(fold)
        var pending = order
        for attempt in 0..<8 {
            let accepted = try upsert(pending.map { ($0, written[$0]!) })
            let refused = pending.filter { !accepted.contains($0) }
            if refused.isEmpty { break }
            guard attempt < 7 else { throw StreamError.stateConflict(users: refused.count) }
            // Someone changed these rows since we read them: take their locks, reread, apply again.
            current = [:]
            try load(refused, forUpdate: true, into: &current, repairs: &repairs)
            refused.forEach(fold)
            pending = refused
        }
        return (written, late, repairs)
    }

    private func load(_ users: [String], forUpdate: Bool, into entries: inout [String: UserStateCache.Entry], repairs: inout Set<String>) throws {
        let rows = try connection.query("""
            SELECT user_id, encode(state, 'hex'), revision, events_folded FROM user_features
            WHERE set_name = $1 AND set_version = $2 AND user_id = ANY($3::text[])\(forUpdate ? " FOR UPDATE" : "")
            """, [set.name, set.version, ArrayLiteral.text(users)])
        for row in rows.rows {
            let user = try row.require(String.self, 0)
            let revision = try row.require(Int64.self, 2), folded = try row.require(Int64.self, 3)
            do {
                let state = try UserFeatureState(decoding: UserFeatureState.bytes(hex: try row.require(String.self, 1)), for: set)
                entries[user] = UserStateCache.Entry(state: state, revision: revision, eventsFolded: folded)
            } catch {
                // An unreadable stored state is rebuilt from events by the repair; until then start afresh.
                entries[user] = UserStateCache.Entry(state: UserFeatureState(set: set), revision: revision, eventsFolded: 0)
                repairs.insert(user)
            }
        }
    }

    /// Writes states whose rows are still at the revision before theirs; returns the users written.
    private func upsert(_ states: [(String, UserStateCache.Entry)]) throws -> Set<String> {
        if !stagingReady { _ = try staged([], loader: EventLoader(connection: connection, source: "")) }
        try connection.execute("TRUNCATE recur_stream_states")
        var rows = BinaryCopyRows(reservingCapacity: states.count * 400)
        for (user, entry) in states {
            rows.beginRow(fields: 5)
            rows.append(user)
            rows.append(bytea: entry.state.encoded())
            rows.append(microsecondsSince1970: entry.state.lastEventAt?.microseconds)
            rows.append(entry.revision)
            rows.append(entry.eventsFolded)
        }
        _ = try connection.copyIn("COPY recur_stream_states FROM STDIN (FORMAT binary)") { try $0.write(rows.finished()) }
        let result = try connection.query("""
            INSERT INTO user_features (set_name, set_version, user_id, state, last_event_at, updated_at, revision, events_folded)
            SELECT $1, $2, user_id, state, last_event_at, clock_timestamp(), revision, events_folded FROM recur_stream_states
            ON CONFLICT (set_name, set_version, user_id) DO UPDATE
            SET state = excluded.state, last_event_at = excluded.last_event_at, updated_at = excluded.updated_at,
                revision = excluded.revision, events_folded = excluded.events_folded
            WHERE user_features.revision = excluded.revision - 1
            RETURNING user_id
            """, [set.name, set.version])
        var accepted = Set<String>()
        accepted.reserveCapacity(result.rowCount)
        for index in 0..<result.rowCount { if let user = result.text(index, 0) { accepted.insert(user) } }
        return accepted
    }
}
