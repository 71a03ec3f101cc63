import Foundation
import Postgres
import Testing

@testable import RecurCore

/// Rollups and sessions kept batch by batch: exact rows for a worked case, late events, sessions
/// joined by a late event, duplicates, and equality with a rebuild from the stored events.
@Suite(.serialized) struct RollupTests {
    static func time(_ hour: Int, _ minute: Int) -> Timestamp { Timestamp(year: 2025, month: 3, day: 4, hour: hour, minute: minute)! }

    static func event(_ id: String, _ user: String, _ hour: Int, _ minute: Int, _ type: EventType, _ amount: Double? = nil, device: String? = nil)
        -> Event
    {
        Event(eventID: id, userID: user, timestamp: time(hour, minute), type: type, amount: amount, productID: "p1", device: device)
    }

    func loader(_ store: Store) throws -> EventLoader {
        _ = try RollupRegistry.register(.builtin(), on: store.connection)
        return EventLoader(connection: store.connection, source: "test", rollups: BatchRollups(connection: store.connection, source: "test"))
    }

    func rows(_ store: Store, _ sql: String) throws -> [String] {
        let result = try store.connection.query(sql)
        return (0..<result.rowCount).map { row in (0..<result.columnCount).map { result.text(row, $0) ?? "∅" }.joined(separator: " ") }
    }

    @Test func aWorkedCaseBatchByBatch() throws {
        let store = try TestStore.fresh("rollup")
        defer { TestStore.drop(store) }
        let load = try loader(store)
        let first = [
            Self.event("a1", "u1", 10, 0, .view), Self.event("a2", "u1", 10, 2, .cart), Self.event("a3", "u1", 10, 4, .purchase, 10),
            Self.event("a4", "u2", 10, 1, .view)
        ]
        #expect(try load.load(first, rejected: []) == 4)
        // 12:00 moves the high water; 10:40 came in the same batch, so it is not late.
        #expect(try load.load([Self.event("b1", "u1", 12, 0, .view), Self.event("b2", "u1", 10, 40, .view)], rejected: []) == 2)
        // 10:20 arrives after 12:00 was stored: its 5-minute window closed at 10:25 + 1 h, its hour at 11:00 + 1 h.
        #expect(try load.load([Self.event("c1", "u1", 10, 20, .cart)], rejected: []) == 1)
        // A replay of the first batch changes nothing.
        #expect(try load.load(first, rejected: []) == 0)

        #expect(
            try rows(store, "SELECT window_start, events, views, carts, purchases, revenue, users, late FROM rollup_funnel_1h ORDER BY 1") == [
                "2025-03-04 10:00:00+00 6 3 2 1 10.0000 2 1", "2025-03-04 12:00:00+00 1 1 0 0 0.0000 1 0"
            ])
        #expect(
            try rows(store, "SELECT user_id, window_start, events, late FROM rollup_user_5m ORDER BY 1, 2") == [
                "u1 2025-03-04 10:00:00+00 3 0", "u1 2025-03-04 10:20:00+00 1 1", "u1 2025-03-04 10:40:00+00 1 0",
                "u1 2025-03-04 12:00:00+00 1 0", "u2 2025-03-04 10:00:00+00 1 0"
            ])
        // The late cart at 10:20 joins the 10:00-10:04 session and the 10:40 one into one.
        #expect(
            try rows(store, "SELECT user_id, session_start, session_end, events, carts, purchases, converted, abandoned_cart FROM sessions ORDER BY 1, 2") == [
                "u1 2025-03-04 10:00:00+00 2025-03-04 10:40:00+00 5 2 1 t f", "u1 2025-03-04 12:00:00+00 2025-03-04 12:00:00+00 1 0 0 f f",
                "u2 2025-03-04 10:01:00+00 2025-03-04 10:01:00+00 1 0 0 f f"
            ])
        #expect(try rows(store, "SELECT day, product_id, views, purchases, conversion FROM rollup_product_1d") == ["2025-03-04 00:00:00+00 p1 4 1 0.25"])
        for (name, differing) in try RollupRegistry.differences(on: store.connection) { #expect(differing == 0, "\(name)") }

        // A rebuild, whole or of a range, gives the same rows.
        let before = try rows(store, "SELECT * FROM rollup_user_5m ORDER BY 1, 2") + rows(store, "SELECT * FROM sessions ORDER BY 1, 2")
        _ = try RollupRegistry.rebuild(from: Self.time(10, 10), to: Self.time(10, 50), on: store.connection)
        #expect(try rows(store, "SELECT * FROM rollup_user_5m ORDER BY 1, 2") + rows(store, "SELECT * FROM sessions ORDER BY 1, 2") == before)
        _ = try RollupRegistry.rebuild(from: nil, to: nil, on: store.connection)
        #expect(try rows(store, "SELECT * FROM rollup_user_5m ORDER BY 1, 2") + rows(store, "SELECT * FROM sessions ORDER BY 1, 2") == before)
        #expect(
            try rows(store, "SELECT hour, views, view_to_purchase FROM conversion_hourly ORDER BY 1").first == "2025-03-04 10:00:00+00 3 0.3333333333333333")
    }

    @Test func shuffledBatchesWithReplaysEqualARecount() throws {
        let store = try TestStore.fresh("rollupgen")
        defer { TestStore.drop(store) }
        let load = try loader(store)
        var options = EventGenerator.Options()
        options.users = 80
        options.seed = 5
        options.days = 150
        var random = SeededRandom(seed: 9)
        var events = EventGenerator(options: options).rows().map { r in
            Event(
                eventID: "g\(r.serial)", userID: EventGenerator.userID(r.user), timestamp: Timestamp(microseconds: r.timestamp), type: r.type,
                amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil, productID: "p\(r.user % 7)", device: r.user % 3 == 0 ? nil : "web")
        }
        // Some events a few hours late, and batches that replay a slice of the previous one.
        for index in events.indices where random.next() % 20 == 0 {
            let target = min(events.count - 1, index + Int(random.next() % 400))
            events.swapAt(index, target)
        }
        var start = 0
        var previous: ArraySlice<Event> = []
        while start < events.count {
            let batch = events[start..<min(events.count, start + 250)]
            _ = try load.load(Array(previous.suffix(20)) + Array(batch), rejected: [])
            previous = batch
            start += batch.count
        }
        #expect(try store.connection.query("SELECT count(*) FROM events").require(Int.self, 0, 0) == events.count)
        #expect(try store.connection.query("SELECT sum(late)::bigint FROM rollup_user_5m").require(Int.self, 0, 0) > 0)
        for (name, differing) in try RollupRegistry.differences(on: store.connection) { #expect(differing == 0, "\(name)") }

        // A rollup added later is built from what is stored, and kept from then on.
        let custom = try RollupCatalog.parse(
            path: "custom.toml",
            text: """
                [[rollup]]
                name = "rollup_device_1d"
                window = "1d"
                group = "device"
                measures = ["events", "users", "quantity", "refunded", "late"]
                """, features: .builtin)
        let outcome = try RollupRegistry.register(custom, on: store.connection)
        #expect(outcome.built == ["rollup_device_1d"])
        _ = try load.load([Self.event("late-1", "u-new", 9, 0, .purchase, 5, device: "web")], rejected: [])
        let device = try RollupRegistry.differences(on: store.connection)
        #expect(device.contains { $0.name == "rollup_device_1d" })
        for (name, differing) in device { #expect(differing == 0, "\(name)") }

        // A changed definition is left alone by writers and rebuilt on request.
        var changed = custom
        changed.rollups[0].watermark = .minutes(5)
        #expect(try RollupRegistry.register(changed, on: store.connection).differing == ["rollup_device_1d"])
        #expect(try RollupRegistry.register(changed, on: store.connection, replaceChanged: true).rebuilt == ["rollup_device_1d"])
        for (name, differing) in try RollupRegistry.differences(on: store.connection) { #expect(differing == 0, "\(name)") }

        // A dropped rollup stays dropped through writers' registrations, until restored.
        try RollupRegistry.drop(["rollup_user_5m"], on: store.connection)
        #expect(try RollupRegistry.register(.builtin(), on: store.connection).built.isEmpty)
        _ = try load.load([Self.event("late-2", "u-new", 9, 5, .view)], rejected: [])
        #expect(!(try RollupRegistry.differences(on: store.connection)).contains { $0.name == "rollup_user_5m" })
        #expect(try RollupRegistry.register(.builtin(), on: store.connection, restore: ["rollup_user_5m"]).built == ["rollup_user_5m"])
        try StreamCheck.rollupsMatchEvents(store, expecting: ["rollup_device_1d", "rollup_user_5m", "sessions"])
        // The independent recount notices a wrong row.
        try store.connection.execute("UPDATE rollup_funnel_1h SET users = users + 1 WHERE window_start = (SELECT min(window_start) FROM rollup_funnel_1h)")
        let (status, output) = try StreamCheck.independentRecount(store)
        #expect(status == 1 && output.contains("rollup_funnel_1h\t") && output.contains("1 different"), "\(output)")
    }
}
