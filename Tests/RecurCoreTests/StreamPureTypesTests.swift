import Testing

@testable import RecurCore

/// The stream's pure parts: message decoding, the builder's state cache and its duplicate predictor.
struct StreamPureTypesTests {
    static func decoder() -> StreamDecoder { StreamDecoder(options: ImportOptions(), source: "kafka:test") }

    @Test func messagesBecomeEventsOrRejectionsNamedByPosition() {
        var decoder = Self.decoder()
        let good = #"{"event_id":"e1","user_id":"u1","ts":"2025-03-01T10:00:00Z","event_type":"purchase","amount":12.5}"#
        decoder.take(Array(good.utf8) + [13, 10], position: "p0@1")
        decoder.take(nil, position: "p0@2")
        decoder.take(Array("  \n".utf8), position: "p0@3")
        decoder.take(Array(#"{"user_id":"u1","ts":"not a time","event_type":"view"}"#.utf8), position: "p0@4")
        decoder.take(Array("{not json".utf8), position: "p0@5")
        let (events, rejected) = decoder.drain()
        #expect(events.count == 1 && events[0].eventID == "e1" && events[0].userID == "u1" && events[0].amount == 12.5)
        #expect(rejected.map(\.position) == ["p0@2", "p0@3", "p0@4", "p0@5"])
        #expect(rejected.allSatisfy { !$0.reason.isEmpty && $0.rawHash.count > 8 })
        #expect(decoder.summary.read == 5)
        // Drained: the next drain is empty.
        let (again, againRejected) = decoder.drain()
        #expect(again.isEmpty && againRejected.isEmpty)
    }

    @Test func aMessageWithoutAnIdGetsTheSameIdEveryTimeItIsSent() {
        var decoder = Self.decoder()
        let message = Array(#"{"user_id":"u7","ts":"2025-03-01T10:00:00Z","event_type":"view"}"#.utf8)
        decoder.take(message, position: "p0@1")
        decoder.take(message, position: "p1@9")
        decoder.take(Array(#"{"user_id":"u7","ts":"2025-03-01T10:00:01Z","event_type":"view"}"#.utf8), position: "p0@2")
        let (events, rejected) = decoder.drain()
        #expect(rejected.isEmpty && events.count == 3)
        #expect(events[0].eventID == events[1].eventID && events[0].eventID != events[2].eventID && !events[0].eventID.isEmpty)
    }

    @Test func anOversizedMessageIsRejectedWithItsFirstBytesKept() {
        var decoder = Self.decoder()
        decoder.take([UInt8](repeating: 65, count: StreamDecoder.maximumMessageBytes + 10), position: "p0@1")
        let (events, rejected) = decoder.drain()
        #expect(events.isEmpty && rejected.count == 1 && rejected[0].raw.utf8.count <= 64 << 10 + 64)
    }

    @Test func theStateCacheKeepsTheRecentlyUsedWithinItsCapacity() throws {
        let set = try FeatureCatalog.builtin.resolve("default@1")
        var cache = UserStateCache(capacity: 100)
        for i in 0..<100 { cache.put("u\(i)", .init(state: UserFeatureState(set: set), revision: Int64(i), eventsFolded: 0)) }
        for i in 0..<50 { #expect(cache.get("u\(i)")?.revision == Int64(i)) }  // the first half used again
        cache.put("new", .init(state: UserFeatureState(set: set), revision: 7, eventsFolded: 3))
        #expect(cache.count <= 100 && cache.count >= 80)
        #expect(cache.get("new")?.eventsFolded == 3)
        for i in 0..<50 { #expect(cache.get("u\(i)") != nil, "u\(i) was used recently") }
        #expect((50..<60).contains { cache.get("u\($0)") == nil }, "the least recently used went first")
        cache.remove("new")
        #expect(cache.get("new") == nil)
    }

    @Test func recentIDsRememberTheLastCapacityIDsOnly() {
        var recent = RecentEventIDs(capacity: 1_000)
        for i in 0..<1_000 { recent.insert("e\(i)") }
        #expect((0..<1_000).allSatisfy { recent.contains("e\($0)") })
        recent.insert("e0")  // already there: takes no slot
        for i in 1_000..<1_500 { recent.insert("e\(i)") }
        #expect((1_000..<1_500).allSatisfy { recent.contains("e\($0)") })
        #expect((0..<500).filter { recent.contains("e\($0)") }.count == 0)
        #expect(!recent.contains("never"))
    }
}
