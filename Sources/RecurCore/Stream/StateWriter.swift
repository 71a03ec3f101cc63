import Foundation
import Postgres

/// Folds a batch's new events into their users' states and writes them to `user_features`, on its own
/// connection when the batch commits in two phases (see `StreamWriter`), or on the batch's otherwise.
///
/// States are written only if their row is still at the revision they were read at; a row another
/// writer changed meanwhile is reread under lock and the batch's events applied to it again.
final class StateWriter {
    let connection: Connection
    let set: FeatureSet
    private(set) var cache: UserStateCache

    /// What a write did: the states written (for the cache, once the batch has committed), how many
    /// events came later than the allowed lateness, and the users that need a refold.
    struct Outcome {
        var written: [String: UserStateCache.Entry] = [:]
        var late = 0
        var repairs: Set<String> = []
    }

    init(connection: Connection, set: FeatureSet, maxUsersInMemory: Int) {
        self.connection = connection
        self.set = set
        cache = UserStateCache(capacity: maxUsersInMemory)
    }

    func remember(_ written: [String: UserStateCache.Entry]) { for (user, entry) in written { cache.put(user, entry) } }
    func forgetAll() { cache.removeAll() }
    func forget(_ users: some Sequence<String>) { for user in users { cache.remove(user) } }

    /// Folds `events` (new, in arrival order) into their users' states and writes them, inside the
    /// transaction open on `connection`.
    func write(_ events: [Event]) throws -> Outcome {
        guard !events.isEmpty else { return Outcome() }
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
        var outcome = Outcome()
        if !missing.isEmpty { try load(missing, forUpdate: false, into: &current, repairs: &outcome.repairs) }

        func fold(_ user: String) {
            var entry = current[user] ?? UserStateCache.Entry(state: UserFeatureState(set: set), revision: 0, eventsFolded: 0)
            let lateness = set.allowedLateness
            for event in byUser[user]! {
                if let last = entry.state.lastEventAt, event.timestamp < last - lateness {
                    outcome.late += 1
                    outcome.repairs.insert(user)
                }
                entry.state.apply(event)
            }
            entry.revision += 1
            entry.eventsFolded += Int64(byUser[user]!.count)
            outcome.written[user] = entry
        }
        order.forEach(fold)
        var pending = order
        for attempt in 0..<8 {
            let accepted = try upsert(pending.map { ($0, outcome.written[$0]!) })
            let refused = pending.filter { !accepted.contains($0) }
            if refused.isEmpty { break }
            guard attempt < 7 else { throw StreamError.stateConflict(users: refused.count) }
            // Someone changed these rows since we read them: take their locks, reread, apply again.
            current = [:]
            try load(refused, forUpdate: true, into: &current, repairs: &outcome.repairs)
            refused.forEach(fold)
            pending = refused
        }
        return outcome
    }

    private func load(_ users: [String], forUpdate: Bool, into entries: inout [String: UserStateCache.Entry], repairs: inout Set<String>) throws {
        let rows = try connection.query(
            """
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
    ///
    /// The rows go as arrays in parameters rather than through a temporary table, because a
    /// transaction that touched a temporary table cannot be prepared.
    private func upsert(_ states: [(String, UserStateCache.Entry)]) throws -> Set<String> {
        // The states as one array literal of hex, built in one buffer: at 60k users a batch's states are
        // tens of megabytes, and a String per state plus their join held them three times over.
        var hexStates = [UInt8]()
        hexStates.reserveCapacity(states.count * 700 + 2)
        hexStates.append(UInt8(ascii: "{"))
        var times = [Int64?](), revisions = [Int64](), folded = [Int64]()
        for (index, (_, entry)) in states.enumerated() {
            if index > 0 { hexStates.append(UInt8(ascii: ",")) }
            let encoded = entry.state.encoded()
            if encoded.isEmpty { hexStates.append(contentsOf: [34, 34]) }  // "" : an empty element must be quoted
            Hex.append(encoded, to: &hexStates)
            times.append(entry.state.lastEventAt?.microseconds)
            revisions.append(entry.revision)
            folded.append(entry.eventsFolded)
        }
        hexStates.append(UInt8(ascii: "}"))
        let result = try connection.query(
            """
            INSERT INTO user_features (set_name, set_version, user_id, state, last_event_at, updated_at, revision, events_folded)
            SELECT $1, $2, v.user_id, decode(v.state, 'hex'), to_timestamp(v.at / 1e6), clock_timestamp(), v.revision, v.folded
            FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[]) AS v(user_id, state, at, revision, folded)
            ON CONFLICT (set_name, set_version, user_id) DO UPDATE
            SET state = excluded.state, last_event_at = excluded.last_event_at, updated_at = excluded.updated_at,
                revision = excluded.revision, events_folded = excluded.events_folded
            WHERE user_features.revision = excluded.revision - 1
            RETURNING user_id
            """,
            [
                set.name, set.version, ArrayLiteral.text(states.map(\.0)), String(decoding: hexStates, as: UTF8.self), ArrayLiteral.integers(times),
                ArrayLiteral.integers(revisions), ArrayLiteral.integers(folded)
            ])
        var accepted = Set<String>()
        accepted.reserveCapacity(result.rowCount)
        for index in 0..<result.rowCount { if let user = result.text(index, 0) { accepted.insert(user) } }
        return accepted
    }
}
