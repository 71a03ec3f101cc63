import Foundation
import Testing

@testable import RecurCore

/// The producer and the builder against a real Kafka cluster, when `KAFKA_BROKERS` names one; skipped
/// otherwise (scripts/test.sh says so). The broker must create topics on first use, as Kafka does by default.
@Suite struct RealBrokerTests {
    static let brokers = ProcessInfo.processInfo.environment["KAFKA_BROKERS"] ?? ""

    @Test(.enabled(if: !brokers.isEmpty, "KAFKA_BROKERS is not set"))
    func produceAndStreamThroughARealBroker() throws {
        let store = try TestStore.fresh("broker")
        defer { TestStore.drop(store) }
        let topic = "recur-test-\(UInt32.random(in: 0...UInt32.max))"
        let env = StreamCheck.environment(store)
        let produce = try RecurProcess(
            [
                "events", "produce", "--brokers", Self.brokers, "--topic", topic, "--quiet",
                "--users", "50", "--seed", "5", "--events", "3000", "--duplicates", "5", "--malformed", "2"
            ],
            environment: env, label: "broker-produce")
        #expect(produce.wait(timeout: 120) == 0, "\(produce.log)")
        let builder = try RecurProcess(
            ["stream", "--brokers", Self.brokers, "--topic", topic, "--group", topic, "--exit-when-idle", "10s", "--quiet"],
            environment: env, label: "broker-stream")
        #expect(builder.wait(timeout: 180) == 0, "\(builder.log)")
        let produced = try #require(StreamCheck.produced(produce.log), "\(produce.log)")
        let events = try StreamCheck.count(store, "SELECT count(*) FROM events")
        let rejected = try StreamCheck.count(store, "SELECT count(*) FROM rejected_events")
        #expect(events == produced.messages - produced.duplicated - produced.malformed, "\(produce.log)\n\(builder.log)")
        #expect(rejected == produced.malformed)
        let check = try StreamCheck.statesMatchEvents(store, set: try FeatureCatalog.builtin.resolve("default"))
        #expect(check.users > 20 && check.mismatched.isEmpty, "\(check.mismatched.prefix(5))")
    }
}
