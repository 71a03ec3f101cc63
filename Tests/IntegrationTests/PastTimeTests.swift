import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

/// `AT` earlier than a user's latest events: answered exactly as a refold of the events before that
/// time, or refused with PAST_AT; never answered from a history that holds later events.
@Suite(.serialized) struct PastTimeTests {
    /// The features as of `t` from the events alone: the reference every answer must equal.
    static func refold(_ events: [Event], user: String, asOf t: Timestamp, set: FeatureSet) -> [Double] {
        var state = UserFeatureState(set: set)
        for event in events where event.userID == user && event.timestamp < t { state.apply(event) }
        return state.values(asOf: t)
    }

    static func same(_ a: Double?, _ b: Double) -> Bool { a.map { $0 == b || ($0.isNaN && b.isNaN) } ?? b.isNaN }

    @Test func everyProtocolAnswersAPastTimeExactlyOrRefusesIt() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let set = f.server.service.set
        let line = try TestClient(port: f.port)
        let http = try TestClient(port: try #require(f.server.httpPort))
        var random = SeededRandom(seed: 7)
        let first = f.events.map(\.timestamp).min()!.microseconds, last = f.events.map(\.timestamp).max()!.microseconds
        var answered = 0, refused = 0
        for user in f.users.prefix(40) {
            for _ in 0..<4 {
                // Any microsecond, not a grid: window edges fall anywhere.
                let t = Timestamp(microseconds: first + Int64(random.next() % UInt64(last - first + 86_400_000_000)))
                let expected = Self.refold(f.events, user: user, asOf: t, set: set)
                let reply = try #require(line.ask("FEATURES \(user) AT \(t)"))
                let page = try #require(http.get("/v1/features/\(user)?at=\(t)"))
                if reply.hasPrefix("ERR PAST_AT") {
                    refused += 1
                    #expect(page.status == 422 && page.body.contains("PAST_AT"), "\(page)")
                    #expect(line.ask("SCORE \(user) AT \(t)")?.hasPrefix("ERR PAST_AT") == true)
                    continue
                }
                answered += 1
                // JSONDecoder reads doubles exactly (JSONSerialization can be an ulp off).
                struct Page: Decodable { var features: [String: Double?] }
                let values = try JSONDecoder().decode([String: Double?].self, from: Data(reply.utf8))
                let served = try JSONDecoder().decode(Page.self, from: Data(page.body.utf8)).features
                for (index, name) in set.featureNames.enumerated() {
                    #expect(
                        Self.same(values[name] ?? nil, expected[index]),
                        "\(user) at \(t): \(name) served \(String(describing: values[name])), events say \(expected[index])")
                    #expect(Self.same(served[name] ?? nil, expected[index]), "HTTP \(user) at \(t): \(name)")
                }
                let score = try f.server.service.score(user, at: t)
                #expect(score.probability == f.server.service.model.artifact.probability(expected))
            }
        }
        // Both outcomes occur: users with long histories early on, short ones or recent times answered.
        #expect(answered > 20 && refused > 5, "answered \(answered), refused \(refused)")
    }

    @Test func theStoreAnswersAnyTimeByRefolding() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let set = f.server.service.set
        let t = Timestamp(year: 2025, month: 2, day: 12, hour: 7, minute: 31)!
        for user in f.users.prefix(15) {
            let state = try OnlineFeatures.state(of: user, set: set, store: f.store, asOf: t)
            let values = state?.values(asOf: t) ?? UserFeatureState(set: set).values(asOf: t)
            let expected = Self.refold(f.events, user: user, asOf: t, set: set)
            #expect(zip(values, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "\(user)")
        }
    }

    @Test func mscoreTakesAtAndModelAsScoreDoes() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: f.port)
        let (a, b) = (f.users[0], f.users[1])
        let at = "2025-07-10T00:00:00Z"
        let many = try #require(c.ask("MSCORE \(a) \(b) AT \(at)"))
        let one = [try #require(c.ask("SCORE \(a) AT \(at)")), try #require(c.ask("SCORE \(b) AT \(at)"))]
        #expect(many == one.joined(separator: " "), "MSCORE gave \(many)")
        #expect(!many.contains("cold"))
        #expect(c.ask("MSCORE \(a) MODEL v1 AT \(at)") == one[0])
        #expect(c.ask("MSCORE \(a) at \(at) model v1") == one[0])
        #expect(c.ask("MSCORE \(a) AT not-a-time")?.hasPrefix("ERR BAD_TIME") == true)
        #expect(c.ask("MSCORE \(a) MODEL v9")?.hasPrefix("ERR FAILED") == true)
        #expect(c.ask("MSCORE AT \(at)")?.hasPrefix("ERR SYNTAX") == true)
    }
}
