import Foundation
import Testing

@testable import RecurCore

/// `features join`: every row answered exactly as a refold of its user's events before its time.
@Suite(.serialized) struct FeatureJoinTests {
    func file(_ text: String, _ name: String = "rows.csv") throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("join-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func join(
        _ path: String, store: Store, set: FeatureSet, format: JoinOutput.Format = .csv, asKnown: Bool = false, time: String? = nil,
        wholeIndex: Bool = false
    ) throws -> (String, FeatureJoin.Summary) {
        let rows = try JoinRows(path: path, timeColumn: time)
        var join = FeatureJoin(set: set)
        join.asKnown = asKnown
        if wholeIndex { join.wholeIndexFromUsers = 0 }
        var text = ""
        let summary = try join.run(
            rows: rows, output: JoinOutput(format: format, columns: rows.columns, features: set.featureNames), store: store, write: { text += $0 })
        return (text, summary)
    }

    static func refold(_ events: [Event], user: String, asOf t: Timestamp, set: FeatureSet) -> [Double] {
        var state = UserFeatureState(set: set)
        for event in events where event.userID == user && event.timestamp < t { state.apply(event) }
        return state.values(asOf: t)
    }

    @Test func randomRowsEqualARefoldAndFeaturesShowValueForValue() throws {
        let store = try TestStore.fresh("join")
        defer { TestStore.drop(store) }
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let events = try TestStore.loadGeneratedEvents(into: store, users: 150, seed: 31, days: 240)
        _ = try Backfill(plan: BackfillPlan(set: set, asOfTimes: [Timestamp(year: 2025, month: 6, day: 1)!])).run(store: store)
        let users = Array(Set(events.map(\.userID))).sorted()
        let first = events.map(\.timestamp.microseconds).min()!, last = events.map(\.timestamp.microseconds).max()!
        var random = SeededRandom(seed: 3)
        var questions: [(user: String, time: Timestamp)] = []
        for _ in 0..<600 {
            let user = random.unit() < 0.05 ? "nobody-\(random.next() % 10)" : users[Int(random.next() % UInt64(users.count))]
            questions.append((user, Timestamp(microseconds: first - 86_400_000_000 + Int64(random.next() % UInt64(last - first + 20 * 86_400_000_000)))))
        }
        var csv = "user_id,event_time,label,comment\n"
        for (n, q) in questions.enumerated() { csv += "\(q.user),\(q.time.iso8601),\(n % 2),\"n=\(n), \"\"quoted\"\"\"\n" }
        let (text, summary) = try join(try file(csv), store: store, set: set)
        #expect(summary.rows == 600 && summary.answered == 600 && summary.rejected == 0)
        // Reading the whole index in order or looking each user up: the same answers.
        #expect(try join(try file(csv), store: store, set: set, wholeIndex: true).0 == text)
        var parsed = [[String]]()
        for line in text.split(separator: "\n").dropFirst() { parsed.append(try #require(FieldSplitter(.comma).split(String(line)))) }
        #expect(parsed.count == 600)
        var shown = 0
        for (n, (q, row)) in zip(questions, parsed).enumerated() {
            // Input order, and the passthrough columns unchanged.
            #expect(row[0] == q.user && row[1] == q.time.iso8601 && row[2] == "\(n % 2)" && row[3] == "n=\(n), \"quoted\"")
            let values = row[4...].map { Double($0) ?? .nan }
            guard users.contains(q.user) else {
                let blank = row[4...].allSatisfy { $0.isEmpty }
                #expect(blank, "a user with no events keeps empty features")
                continue
            }
            let expected = Self.refold(events, user: q.user, asOf: q.time, set: set)
            let same = zip(values, expected).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            #expect(same, "row \(n): \(q.user) at \(q.time)")
            if n % 20 == 0, let state = try OnlineFeatures.state(of: q.user, set: set, store: store, asOf: q.time) {
                let show = state.values(asOf: q.time)
                #expect(zip(values, show).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }, "features show differs at row \(n)")
                shown += 1
            }
        }
        #expect(shown > 10)

        // The snapshots by name in SQL: the view of this set version, one column per feature.
        let cutoff = Timestamp(year: 2025, month: 6, day: 1)!
        let rows = try store.connection.query(
            "SELECT user_id, purchase_count_90d, days_since_last_purchase FROM features_default_v1 WHERE as_of = $1::timestamptz ORDER BY user_id LIMIT 20",
            [cutoff.iso8601]
        ).rows
        #expect(rows.count == 20)
        let count = set.featureNames.firstIndex(of: "purchase_count_90d")!, recency = set.featureNames.firstIndex(of: "days_since_last_purchase")!
        for row in rows {
            let user = try row.require(String.self, 0)
            let expected = Self.refold(events, user: user, asOf: cutoff, set: set)
            #expect(try row.decode(Double.self, 1) == Double(Float(expected[count])))
            let stored = try row.decode(Double.self, 2)
            #expect(stored == (expected[recency].isNaN ? nil : Double(Float(expected[recency]))), "\(user)")
        }
    }

    @Test func lateEventsCountOnlyWhenNotAsKnownAndBadRowsAreReported() throws {
        let store = try TestStore.fresh("joinlate")
        defer { TestStore.drop(store) }
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let t0 = Timestamp(year: 2025, month: 3, day: 1)!
        let events = [
            Event(eventID: "p1", userID: "u", timestamp: t0, type: .purchase, amount: 10),
            Event(eventID: "p2", userID: "u", timestamp: t0 + .days(1), type: .purchase, amount: 20)
        ]
        _ = try EventLoader(connection: store.connection, source: "test").load(events, rejected: [])
        // p2 happened on March 2nd but was stored on March 10th: a late arrival.
        try store.connection.execute("UPDATE events SET stored_at = ts WHERE event_id = 'p1'")
        try store.connection.execute("UPDATE events SET stored_at = $1::timestamptz WHERE event_id = 'p2'", ["2025-03-10T00:00:00Z"])
        let path = try file(
            "{\"user_id\":\"u\",\"ts\":\"2025-03-01T00:00:00Z\",\"n\":0}\n{\"user_id\":\"u\",\"ts\":\"2025-03-05T00:00:00Z\",\"n\":1}\n{\"user_id\":\"u\",\"ts\":\"2025-03-11T00:00:00Z\",\"n\":2}\n{\"user_id\":\"u\",\"ts\":\"soon\",\"n\":3}\n{\"user_id\":\"u\",\"ts\":\"2025-03-05\",\"extra\":1}\nnot json\n",
            "rows.jsonl")
        struct Row: Decodable { var n: Int; var purchase_count_all: Double? }
        func counts(_ text: String) throws -> [Double?] {
            try text.split(separator: "\n").map { try JSONDecoder().decode(Row.self, from: Data($0.utf8)).purchase_count_all }
        }
        let (now, summary) = try join(path, store: store, set: set, format: .jsonl)
        #expect(try counts(now) == [0, 2, 2], "at the first purchase's own time nothing is before it; as known now, the late purchase counts on March 5th")
        #expect(summary.rejected == 3 && summary.firstRejections.count == 3)
        #expect(summary.firstRejections[0].hasPrefix("line 4:") && summary.firstRejections[0].contains("not a time"))
        #expect(summary.firstRejections[1].contains("extra") && summary.firstRejections[2].hasPrefix("line 6:"))
        let (then, _) = try join(path, store: store, set: set, format: .jsonl, asKnown: true)
        #expect(try counts(then) == [0, 1, 2], "as known then, March 5th saw only the purchase stored by then")
        #expect(try join(path, store: store, set: set, format: .jsonl, wholeIndex: true).0 == now)
        // JSON passes the members through as written.
        #expect(now.hasPrefix("{\"user_id\":\"u\",\"ts\":\"2025-03-01T00:00:00Z\",\"n\":0,"))
    }

    @Test func labelledRowsTrainForwardInTimeAndRefuseLabelsThatAreNotZeroOrOne() throws {
        let store = try TestStore.fresh("joinlabels")
        defer { TestStore.drop(store) }
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let events = try TestStore.loadGeneratedEvents(into: store, users: 200, seed: 41, days: 200)
        let users = Array(Set(events.map(\.userID))).sorted()
        var random = SeededRandom(seed: 8)
        var csv = "customer,when,bought\n"
        for user in users {
            for _ in 0..<3 {
                let t = Timestamp(year: 2025, month: 3, day: 1)!.microseconds + Int64(random.next() % (120 * 86_400_000_000))
                let bought = events.contains {
                    $0.userID == user && $0.type == .purchase && $0.timestamp.microseconds >= t && $0.timestamp.microseconds < t + 30 * 86_400_000_000
                }
                csv += "\(user),\(Timestamp(microseconds: t).iso8601),\(bought ? 1 : 0)\n"
            }
        }
        var source = LabelledRows(path: try file(csv), label: "bought")
        source.userColumn = "customer"
        source.timeColumn = "when"
        let loaded = try source.load(set: set, store: store, holdout: .share(0.25))
        #expect(loaded.data.rows == users.count * 3 && loaded.periods.count == 3)
        // The holdout is the latest rows, and no training row shares its period's time with it.
        let holdout = loaded.holdoutStart.microseconds
        #expect(loaded.data.cutoffs.filter { $0 == holdout }.count >= users.count * 3 / 4)
        #expect(loaded.data.cutoffs.allSatisfy { $0 == holdout || $0 < holdout })
        var request = ModelTrainer.Request(version: "own", kind: .logistic, set: set, cutoffs: loaded.periods, horizon: .days(30))
        request.holdoutCutoff = loaded.holdoutStart
        request.calibration = .auto
        let (_, metadata) = try ModelTrainer(request: request).train(loaded.data, codeVersion: "test")
        #expect(metadata.holdout.rocAUC > 0.6, "\(metadata.holdout.rocAUC)")
        #expect(loaded.sha256.count == 64)

        var bad = LabelledRows(path: try file("user_id,ts,label\nu1,2025-03-01,1\nu2,2025-03-02,yes\n"), label: "label")
        bad.asKnown = true
        do {
            _ = try bad.load(set: set, store: store, holdout: .share(0.5))
            Issue.record("a label of yes was accepted")
        } catch {
            #expect("\(error)".contains("line 3") && "\(error)".contains("`yes`") && "\(error)".contains("0 or 1"), "\(error)")
        }
        #expect(throws: JoinError.self) {
            try LabelledRows(path: try file("user_id,ts\nu1,2025-03-01\n"), label: "label").load(set: set, store: store, holdout: .share(0.5))
        }
    }
}
