import Foundation
import Postgres
import Testing

@testable import RecurCore

@Suite struct BackfillTests {
    let set = try! FeatureCatalog.builtin.resolve("default@1")

    func loadEvents(_ store: Store, users: Int) throws -> [Event] {
        var options = EventGenerator.Options()
        options.users = users
        options.seed = 77
        options.days = 120
        let rows = EventGenerator(options: options).rows()
        let events = rows.map { r in
            Event(
                eventID: "g\(r.serial)", userID: EventGenerator.userID(r.user), timestamp: Timestamp(microseconds: r.timestamp / 1_000_000 * 1_000_000),
                type: r.type, amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil, quantity: Int(r.quantity))
        }
        _ = try EventLoader(connection: store.connection, source: "test").load(events, rejected: [])
        return events
    }

    func count(_ store: Store, _ sql: String) throws -> Int { try store.connection.query(sql).require(Int.self, 0, 0) }

    @Test func snapshotsMatchFoldingEachUsersEventsAndRerunsReplace() throws {
        let store = try TestStore.fresh("backfill")
        defer { TestStore.drop(store) }
        let events = try loadEvents(store, users: 60)
        let times = BackfillPlan.times(from: Timestamp(year: 2025, month: 1, day: 15)!, to: Timestamp(year: 2025, month: 4, day: 30)!, every: .days(7))
        var plan = BackfillPlan(set: set, asOfTimes: times)
        plan.usersPerChunk = 7
        let first = try Backfill(plan: plan).run(store: store)
        #expect(first.events == events.count)
        let snapshots = try count(store, "SELECT count(*) FROM feature_snapshots")
        #expect(snapshots == first.snapshots && snapshots > 0)

        // Every snapshot equals a direct fold of that user's events before the as-of time.
        let byUser = Dictionary(grouping: events, by: \.userID)
        let sample = try store.connection.query(
            "SELECT user_id, (extract(epoch FROM as_of) * 1000000)::bigint, vals::text FROM feature_snapshots ORDER BY random() LIMIT 40"
        ).rows
        for row in sample {
            let user = try row.require(String.self, 0), asOf = Timestamp(microseconds: try row.require(Int64.self, 1))
            var state = UserFeatureState(set: set)
            for e in byUser[user]!.sorted(by: { $0.timestamp < $1.timestamp }) where e.timestamp < asOf { state.apply(e) }
            let stored = try row.require(String.self, 2).trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",")
            for (value, text) in zip(state.values(asOf: asOf), stored) {
                if text == "NULL" { #expect(value.isNaN) } else { #expect(abs(Double(Float(value)) - Double(text)!) <= 1e-6 * max(1, abs(value))) }
            }
        }
        // The online state answers like the events do.
        let user = byUser.keys.sorted().first!
        let online = try #require(try OnlineFeatures.storedState(of: user, set: set, connection: store.connection))
        var direct = UserFeatureState(set: set)
        for e in byUser[user]! { direct.apply(e) }
        let later = Timestamp(year: 2025, month: 7, day: 1)!
        #expect(online.values(asOf: later).elementsEqual(direct.values(asOf: later)) { $0 == $1 || ($0.isNaN && $1.isNaN) })

        // Re-running replaces, never duplicates.
        _ = try Backfill(plan: plan).run(store: store)
        #expect(try count(store, "SELECT count(*) FROM feature_snapshots") == snapshots)
        #expect(try count(store, "SELECT count(*) FROM user_features") == byUser.count)
    }

    @Test func anInterruptedRunResumesAfterItsLastCommittedChunk() throws {
        let store = try TestStore.fresh("resume")
        defer { TestStore.drop(store) }
        _ = try loadEvents(store, users: 40)
        var plan = BackfillPlan(set: set, asOfTimes: [Timestamp(year: 2025, month: 3, day: 1)!, Timestamp(year: 2025, month: 4, day: 1)!])
        plan.workers = 1
        plan.usersPerChunk = 5
        let full = try Backfill(plan: plan).run(store: store)
        let complete = try count(store, "SELECT count(*) FROM feature_snapshots")
        // Pretend the run stopped after its first chunk: the later chunks never committed.
        let c = store.connection
        let firstChunkEnd = try c.query("SELECT user_id FROM (SELECT DISTINCT user_id FROM events) u ORDER BY user_id OFFSET 4 LIMIT 1").require(
            String.self, 0, 0)
        try c.execute("UPDATE backfill_runs SET finished_at = NULL")
        try c.execute("UPDATE backfill_progress SET last_user_id = $1", [firstChunkEnd])
        try c.execute("DELETE FROM feature_snapshots WHERE user_id > $1", [firstChunkEnd])
        let resumed = try Backfill(plan: plan).run(store: store)
        #expect(resumed.resumed)
        #expect(resumed.users == full.users - 5)
        #expect(try count(store, "SELECT count(*) FROM feature_snapshots") == complete)
    }
}
