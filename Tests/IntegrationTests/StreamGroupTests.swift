import Foundation
import Kafka
import Testing

@testable import RecurCore

/// Several builders in one consumer group: they split a topic, take over from a dead member, and a
/// member that was paused past its session timeout cannot write what another member already wrote.
@Suite(.serialized) struct StreamGroupTests {
    static let fast = ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]

    /// The partitions named on the last `assigned` line of a builder's log.
    static func assignment(_ log: String) -> Set<Int> {
        guard let line = log.split(separator: "\n").last(where: { $0.contains("stream: assigned ") }) else { return [] }
        var partitions = Set<Int>()
        for piece in line.split(separator: "[").dropFirst() {
            if let number = Int(piece.prefix { $0.isNumber }) { partitions.insert(number) }
        }
        return partitions
    }

    /// Waits until `condition` holds; false after `timeout` seconds.
    static func eventually(_ timeout: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            usleep(100_000)
        }
        return condition()
    }

    @Test func buildersSplitTakeOverAndAZombieCannotCommit() throws {
        let store = try TestStore.fresh("group")
        defer { TestStore.drop(store) }
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("group", partitions: 6)
        let env = StreamCheck.environment(store)
        let produce = try RecurProcess(
            [
                "events", "produce", "--brokers", cluster.bootstrapServers, "--topic", "group", "--quiet",
                "--users", "150", "--seed", "11", "--events", "40000", "--rate", "700", "--duplicates", "3"
            ],
            environment: env, label: "group-produce")
        func builder(_ name: String, batchWait: String = "200ms") throws -> RecurProcess {
            try RecurProcess(
                [
                    "stream", "--brokers", cluster.bootstrapServers, "--topic", "group", "--group", "g", "--batch-wait", batchWait,
                    "--quiet"
                ] + Self.fast, environment: env, label: "group-\(name)")
        }
        let a = try builder("a"), b = try builder("b")
        defer { for p in [a, b] where p.process.isRunning { p.signal(SIGKILL); p.wait() } }
        // Two members split the six partitions between them.
        let split = Self.eventually(60) {
            let x = Self.assignment(a.log), y = Self.assignment(b.log)
            return !x.isEmpty && !y.isEmpty && x.isDisjoint(with: y) && x.union(y).count == 6
        }
        #expect(split, "a: \(a.log)\nb: \(b.log)")

        // A dies without a word; b takes over everything once a's session times out.
        a.signal(SIGKILL)
        a.wait()
        #expect(Self.eventually(60) { Self.assignment(b.log).count == 6 }, "\(b.log)")

        // c joins with long batches, so it holds uncommitted messages when it is paused.
        let c = try builder("c", batchWait: "3s")
        defer { if c.process.isRunning { c.signal(SIGCONT); c.signal(SIGKILL); c.wait() } }
        #expect(Self.eventually(60) { !Self.assignment(c.log).isEmpty && Self.assignment(b.log).count < 6 }, "\(c.log)")
        sleep(1)
        c.signal(SIGSTOP)
        let bBefore = b.log.components(separatedBy: "stream: assigned ").count
        // b is given c's partitions after c's session times out, and commits past where c stopped.
        #expect(
            Self.eventually(60) {
                b.log.components(separatedBy: "stream: assigned ").count > bBefore && Self.assignment(b.log).count == 6
            }, "\(b.log)")
        sleep(3)
        c.signal(SIGCONT)
        #expect(c.waitFor("commit refused", timeout: 30), "the paused builder's batch is refused: \(c.log)")

        #expect(produce.wait(timeout: 180) == 0, "\(produce.log)")
        for p in [b, c] { p.signal(SIGTERM) }
        #expect(b.wait(timeout: 60) == 0, "\(b.log)")
        #expect(c.wait(timeout: 60) == 0, "\(c.log)")
        // Whatever the members left behind, one more run finishes from the stored offsets.
        let last = try RecurProcess(
            [
                "stream", "--brokers", cluster.bootstrapServers, "--topic", "group", "--group", "g-final", "--exit-at-end", "--quiet"
            ] + Self.fast, environment: env, label: "group-final")
        #expect(last.wait(timeout: 120) == 0, "\(last.log)")

        let produced = try #require(StreamCheck.produced(produce.log), "\(produce.log)")
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM events") == produced.messages - produced.duplicated)
        let check = try StreamCheck.statesMatchEvents(store, set: try FeatureCatalog.builtin.resolve("default"))
        #expect(check.users > 100)
        #expect(check.mismatched.isEmpty, "users whose state differs from a fold of their events: \(check.mismatched.prefix(5))")
        // Builders side by side, a takeover and a refused zombie: the rollups still equal a recount.
        try StreamCheck.rollupsMatchEvents(store)
    }
}
