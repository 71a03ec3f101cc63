import Foundation
import Postgres

@testable import RecurCore

/// A migrated store in a schema of its own, on the shared test cluster (or `DATABASE_URL` when set).
///
/// Every test gets a fresh schema, so tests run in parallel without seeing each other's rows.
enum TestStore {
    /// The embedded cluster the integration tests share; one per machine and user.
    static let home: String = {
        if let home = ProcessInfo.processInfo.environment["RECUR_TEST_HOME"], !home.isEmpty { return home }
        return FileManager.default.temporaryDirectory.appendingPathComponent("recur-tests-\(getuid())").path
    }()

    static func fresh(_ label: String = "t") throws -> Store {
        let schema = "test_\(label.lowercased().filter { $0.isLetter || $0.isNumber })_\(UInt32.random(in: 0...UInt32.max))"
        return try Store.open(StoreLocation(home: home, schema: schema))
    }

    /// Loads the generator's events (ids g1, g2, …) into `store`, and returns them.
    @discardableResult
    static func loadGeneratedEvents(into store: Store, users: Int, seed: UInt64, days: Int) throws -> [Event] {
        var options = EventGenerator.Options()
        options.users = users
        options.seed = seed
        options.days = days
        let events = EventGenerator(options: options).rows().map { r in
            Event(
                eventID: "g\(r.serial)", userID: EventGenerator.userID(r.user), timestamp: Timestamp(microseconds: r.timestamp),
                type: r.type, amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil)
        }
        // As imports do: the built-in rollups and sessions are kept with the events.
        _ = try RollupRegistry.register(.builtin(), on: store.connection)
        _ = try EventLoader(connection: store.connection, source: "test", rollups: BatchRollups(connection: store.connection, source: "test")).load(
            events, rejected: [])
        return events
    }

    /// Drops the schema again so that repeated runs do not grow the test cluster.
    static func drop(_ store: Store) {
        guard store.location.schema.hasPrefix("test_") else { return }
        _ = try? store.connection.execute("DROP SCHEMA \(store.location.schema) CASCADE")
    }
}

/// The built `recur` executable, for tests that run the CLI as users do.
enum RecurBinary {
    static var path: String {
        let tests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var folder = tests
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("recur").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            folder = folder.deletingLastPathComponent()
        }
        return tests.appendingPathComponent("recur").path
    }
}
