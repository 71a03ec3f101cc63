import Foundation
import Logging
import Testing

@testable import RecurCore
@testable import RecurServer

/// User ids are kept byte for byte: an id with a backslash, a tab, a newline, a quote, a comma, `\N`,
/// non-ASCII or a kilobyte of text gets exactly what a twin with a plain id and the same events gets,
/// through import, backfill, the training set, the server's load and every protocol.
@Suite(.serialized) struct OddUserIDTests {
    static let oddIDs = [
        #"a\b"#, "tab\there", "new\nline", "carriage\rreturn", #"quo"te"#, "com,ma", #"\N"#, #"\\x41"#, #"\101"#, "ünïcødé-用户",
        String(repeating: "k", count: 1_024)
    ]

    @Test func oddIdsScoreExactlyAsTheirPlainTwins() throws {
        let store = try TestStore.fresh("oddids")
        defer { TestStore.drop(store) }
        let set = try FeatureCatalog.builtin.resolve("default@1")
        let events = try TestStore.loadGeneratedEvents(into: store, users: 120, seed: 5, days: 150)
        // Twins: the busiest plain users, so that every feature has something to show.
        let cutoffs = [Timestamp(year: 2025, month: 3, day: 1)!, Timestamp(year: 2025, month: 4, day: 1)!]
        let counts = Dictionary(grouping: events, by: \.userID).mapValues(\.count)
        let early = Set(events.filter { $0.timestamp < cutoffs[0] }.map(\.userID))
        let twins = counts.filter { early.contains($0.key) }.sorted { ($0.value, $0.key) > ($1.value, $1.key) }.prefix(Self.oddIDs.count).map(\.key)
        // The odd users arrive the way users send them: a JSON Lines file through `events import`.
        var lines = [UInt8]()
        for (odd, twin) in zip(Self.oddIDs, twins) {
            for (n, e) in events.filter({ $0.userID == twin }).enumerated() {
                var copy = e
                copy.eventID = "odd-\(twin)-\(n)"
                copy.userID = odd
                lines += EventJSON.encode(copy) + [10]
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("odd-\(UInt32.random(in: 0...UInt32.max)).jsonl").path
        try Data(lines).write(to: URL(fileURLWithPath: path))
        let summary = try EventImporter(options: ImportOptions()).run(path: path, store: store)
        #expect(summary.rejected == 0, "\(summary)")

        _ = try Backfill(plan: BackfillPlan(set: set, asOfTimes: cutoffs)).run(store: store)
        let stored = Set(try store.connection.query("SELECT user_id FROM user_features").rows.map { try $0.require(String.self, 0) })
        let missing = Self.oddIDs.filter { !stored.contains($0) }
        #expect(missing.isEmpty, "no state for \(missing.map(\.debugDescription))")
        #expect(stored.count == counts.count + Self.oddIDs.count, "phantom ids: \(stored.subtracting(counts.keys).subtracting(Self.oddIDs))")

        // Training rows: the same features and labels as the twin's.
        let data = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .active, store: store)
        let width = set.features.count
        func rows(of user: String) -> [[Double]] {
            var out: [[Double]] = []
            for i in data.users.indices where data.users[i] == user {
                var row = Array(data.features[(i * width)..<((i + 1) * width)])
                row.append(Double(data.labels[i]))
                out.append(row)
            }
            return out
        }
        for (odd, twin) in zip(Self.oddIDs, twins) {
            #expect(!rows(of: twin).isEmpty)
            #expect(rows(of: odd).description == rows(of: twin).description, "training rows of \(odd.debugDescription)")
        }

        // The server: loaded by binary COPY, asked over RESP and HTTP.
        let request = ModelTrainer.Request(version: "v1", kind: .logistic, set: set, cutoffs: cutoffs, horizon: .days(30))
        let (artifact, metadata) = try ModelTrainer(request: request).train(data, codeVersion: "test")
        let registry = ModelRegistry(
            directory: FileManager.default.temporaryDirectory.appendingPathComponent("odd-models-\(UInt32.random(in: 0...UInt32.max))").path)
        try registry.save(artifact, metadata: metadata)
        try registry.promote("v1", alias: "production")
        let service = try ScoringService(registry: registry, modelReference: "production", catalog: .builtin)
        let sync = FeatureSync(service: service, location: store.location, interval: 0.5, logger: Logger(label: "test"))
        _ = try sync.loadAll()
        var configuration = ScoringServer.Configuration()
        configuration.port = 0
        configuration.httpPort = 0
        configuration.threads = 1
        let server = ScoringServer(configuration: configuration, service: service)
        let port = try server.start()
        defer { server.shutdown() }
        let resp = try TestClient(port: port)
        let http = try TestClient(port: try #require(server.httpPort))
        // After every event: any user's online state answers it.
        let at = "2025-12-01T00:00:00Z"
        func respScore(_ user: String) -> String? {
            resp.send("*4\r\n$5\r\nSCORE\r\n$\(user.utf8.count)\r\n\(user)\r\n$2\r\nAT\r\n$\(at.utf8.count)\r\n\(at)\r\n")
            guard resp.line()?.hasPrefix("$") == true else { return nil }
            return resp.line()
        }
        for (odd, twin) in zip(Self.oddIDs, twins) {
            let expected = try #require(respScore(twin))
            #expect(respScore(odd) == expected, "RESP SCORE \(odd.debugDescription)")
            let escaped = odd.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let page = try #require(http.get("/v1/score/\(escaped)?at=\(at)"))
            struct Answer: Decodable { var user: String; var score: Double; var cold: Bool }
            let answer = try JSONDecoder().decode(Answer.self, from: Data(page.body.utf8))
            #expect(
                answer.user == odd && !answer.cold && String(format: "%.6f", answer.score) == expected.split(separator: " ")[0],
                "HTTP \(odd.debugDescription): \(page.body)")
        }
    }

    @Test func exportedFieldsQuoteWhatWouldSplitThem() {
        #expect(CSVText.field("plain") == "plain")
        #expect(CSVText.field("com,ma") == "\"com,ma\"")
        #expect(CSVText.field("quo\"te") == "\"quo\"\"te\"")
        #expect(CSVText.field("new\nline") == "\"new\nline\"")
        #expect(CSVText.field(#"a\b"#) == #"a\b"#)
    }
}
