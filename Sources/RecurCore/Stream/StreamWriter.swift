import Dispatch
import Foundation
import Postgres

/// Commits micro-batches: the fence, new events (deduplicated), the touched users' states, rejects,
/// repairs and the NOTIFY, atomically, so a batch is either wholly there or not at all.
///
/// When the server allows prepared transactions, the states are written on a second connection
/// while this one stores the events (on two cores that is most of a batch's time saved), and the
/// states' transaction commits in two phases with the batch's: see `PreparedStates`. Otherwise
/// everything is one transaction on one connection.
final class StreamWriter {
    let connection: Connection
    let set: FeatureSet
    let writerName: String
    private let states: StateWriter
    private let rollups: BatchRollups
    private var recent: RecentEventIDs
    private var stagingReady = false
    private var lastPrune = Date.distantPast
    private static let statesQueue = DispatchQueue(label: "recur.stream.states")

    /// `statesConnection`: a second connection for the states, used only if it can prepare transactions.
    init(connection: Connection, statesConnection: Connection? = nil, set: FeatureSet, writerName: String, maxUsersInMemory: Int) throws {
        self.connection = connection
        self.set = set
        self.writerName = writerName
        var statesOn = connection
        // A builder that died between the two commits left its states prepared: decide them now, in
        // either mode (one run may have used two phases and the next not).
        try PreparedStates.settleAllIfAvailable(on: connection)
        if let other = statesConnection, try PreparedStates.available(other) {
            // A row held by a prepared transaction whose batch died without anyone settling it would
            // block forever: give up instead, so the builder reconnects and settles it.
            try other.execute("SET lock_timeout = '10s'")
            statesOn = other
        }
        states = StateWriter(connection: statesOn, set: set, maxUsersInMemory: maxUsersInMemory)
        // One high-water row for all builders: it is written last in a batch, so they wait on it only for a commit.
        rollups = BatchRollups(connection: connection, source: "stream")
        recent = RecentEventIDs(capacity: 1 << 20)
    }

    /// Opens the store and a writer on it; `ownStatesConnection` asks for the two-phase mode. The
    /// store keeps `rollups` from now on, built from its events first if it did not (see `RollupRegistry`).
    static func open(
        _ location: StoreLocation, ownStatesConnection: Bool, set: FeatureSet, writerName: String, maxUsersInMemory: Int, rollups: RollupCatalog,
        log: (String) -> Void
    ) throws -> (Store, StreamWriter) {
        let store = try Store.open(location)
        let registered = try RollupRegistry.register(rollups, on: store.connection, progress: log)
        for name in registered.differing {
            log("rollup \(name): the store keeps an older definition; `recur rollups backfill` rebuilds it with this one")
        }
        let writer = try StreamWriter(
            connection: store.connection, statesConnection: ownStatesConnection ? try store.connect() : nil, set: set, writerName: writerName,
            maxUsersInMemory: maxUsersInMemory)
        return (store, writer)
    }

    /// How batches are written, for the builder's first log line.
    var modeDescription: String {
        twoPhase
            ? "events and states on two connections, committed in two phases"
            : "events and states in one transaction on one connection (two phases need max_prepared_transactions > 0, and no --single-transaction)"
    }

    var isOpen: Bool { connection.isOpen && states.connection.isOpen }
    var twoPhase: Bool { states.connection !== connection }
    var usersInMemory: Int { states.cache.count }
    func forgetStates() { states.forgetAll() }
    func forget(_ users: some Sequence<String>) { states.forget(users) }

    private struct Refused: Error {
        let outcome: StreamCommitOutcome
    }

    func commit(_ batch: StreamBatch) throws -> StreamCommitOutcome {
        let started = Date()
        var seen = Set<String>()
        seen.reserveCapacity(batch.events.count)
        let candidates = batch.events.filter { seen.insert($0.eventID).inserted }
        let loader = EventLoader(connection: connection, source: batch.source)
        let fresh: [Event], written: StateWriter.Outcome
        do {
            (fresh, written) =
                twoPhase
                ? try commitInTwoPhases(batch, candidates, loader)
                : try connection.transaction {
                    try checkFence(batch.fence)
                    let fresh = try insertEvents(candidates, loader: loader)
                    let written = try states.write(fresh)
                    try finish(batch, fresh: fresh, written: written, loader: loader)
                    return (fresh, written)
                }
        } catch let refused as Refused {
            return refused.outcome
        }
        states.remember(written.written)
        for event in fresh { recent.insert(event.eventID) }
        var result = StreamCommitResult()
        result.late = written.late
        result.repairsQueued = written.repairs.count
        result.inserted = fresh.count
        result.duplicates = batch.events.count - fresh.count
        result.rejected = batch.rejected.count
        result.users = written.written.count
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

    /// The rest of the batch, on the batch's connection: rejects, repairs, the file's counts, NOTIFY.
    private func finish(_ batch: StreamBatch, fresh: [Event], written: StateWriter.Outcome, loader: EventLoader) throws {
        try rollups.apply(fresh, loader: loader)
        try loader.insertRejected(batch.rejected)
        if !written.repairs.isEmpty {
            try connection.execute(
                """
                INSERT INTO feature_repairs (set_name, set_version, user_id) SELECT $1, $2, unnest($3::text[])
                ON CONFLICT DO NOTHING
                """, [set.name, set.version, ArrayLiteral.text(written.repairs.sorted())])
        }
        if case .file(let file) = batch.fence {
            try connection.execute(
                "UPDATE stream_files SET rows_read = $2, loaded = $3, rejected = $4 WHERE sha256 = $1",
                [file.sha256, batch.records, fresh.count, batch.rejected.count])
        }
        if !written.written.isEmpty && !twoPhase { try connection.notify(FeatureChangeLog.channel, payload: set.reference) }
    }

    /// The batch's transaction stores the events while the states' transaction, on the other
    /// connection, folds and writes the states and prepares; the batch's commit then decides both.
    private func commitInTwoPhases(_ batch: StreamBatch, _ candidates: [Event], _ loader: EventLoader) throws -> ([Event], StateWriter.Outcome) {
        var prepared: String?
        do {
            try connection.execute("BEGIN")
            let name = PreparedStates.name(forBatch: try connection.query("SELECT pg_current_xact_id()::text").require(String.self, 0, 0))
            try checkFence(batch.fence)
            let job = StateJob(states: states, events: candidates, name: name)
            job.start(on: Self.statesQueue)
            let stored: Result<[Event], Error> = Result { try insertEvents(candidates, loader: loader) }
            var written = try job.wait().get()
            prepared = name
            let fresh = try stored.get()
            if fresh.count != candidates.count {
                // Some events were stored already (a replay): fold only the new ones.
                try states.connection.execute("ROLLBACK PREPARED \(try states.connection.quoteLiteral(name))")
                prepared = nil
                written = try StateJob(states: states, events: fresh, name: name).run()
                prepared = name
            }
            try finish(batch, fresh: fresh, written: written, loader: loader)
            try connection.execute("COMMIT")
            // If this fails the batch is still whole: the next connection settles it (see PreparedStates).
            if (try? PreparedStates.settle(name, on: states.connection)) == true && !written.written.isEmpty {
                // Only now are the states visible; a prepared transaction cannot NOTIFY. If this is lost
                // with the connection, `recur serve`'s periodic catch-up finds the states.
                _ = try? connection.notify(FeatureChangeLog.channel, payload: set.reference)
            }
            return (fresh, written)
        } catch {
            _ = try? connection.execute("ROLLBACK")
            if let prepared { _ = try? PreparedStates.settle(prepared, on: states.connection) }
            throw error
        }
    }

    /// Moves the stored offsets forward only from where the batch began; takes the rows' locks, so two
    /// builders that both think they own a partition serialize here and the second is refused.
    private func checkFence(_ fence: StreamBatch.Fence) throws {
        switch fence {
        case .offsets(let topic, let group, let ranges):
            guard try StreamOffsets(topic: topic, group: group).advance(ranges, writer: writerName, on: connection) else { throw Refused(outcome: .fenced) }
        case .file(let file):
            let inserted = try connection.execute(
                """
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
        loader.highWater = try rollups.highWater()
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
}
