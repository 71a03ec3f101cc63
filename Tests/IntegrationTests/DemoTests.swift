import Foundation
import Testing

@testable import RecurCore

@Suite struct DemoTests {
    /// `recur demo` end to end on a small population, twice: the figures it prints are the ones
    /// `recur models compare` wrote, and the second run reuses what the first left.
    @Test func demoRunsTwiceAndPrintsTheComparisonsFigures() throws {
        let store = try TestStore.fresh("demo")
        defer { TestStore.drop(store) }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("recur-demo-\(UInt32.random(in: 0...UInt32.max))").path
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        // The demo serves on port and port + 1: below the ephemeral range (32768 and up), where the
        // other tests' servers and clients take theirs.
        let port = Int.random(in: 20_000...32_000)
        let environment = ["RECUR_HOME": TestStore.home, "RECUR_SCHEMA": store.location.schema, "RECUR_MODELS_DIR": scratch + "/models"]
        let arguments = ["demo", "--users", "1500", "--port", "\(port)", "--export-dir", scratch + "/exports"]

        let first = try RecurProcess(arguments, environment: environment, label: "demo")
        #expect(first.wait(timeout: 600) == 0, "\(first.log)")
        let metrics = try #require(FileManager.default.contents(atPath: scratch + "/exports/compare-v1-v2-v3/metrics.json"))
        let root = try #require(try JSONSerialization.jsonObject(with: metrics) as? [String: Any])
        let models = try #require((root["comparison"] as? [String: Any])?["models"] as? [[String: Any]])
        #expect(models.count == 3)
        var best = ("", -1.0)
        for model in models {
            let name = try #require(model["name"] as? String)
            let auc = try #require((model["metrics"] as? [String: Any])?["roc_auc"] as? Double)
            if auc > best.1 { best = (name, auc) }
            // The summary's line for this model carries the AUC metrics.json holds.
            #expect(first.log.contains("          \(name)  \(String(format: "%.4f", auc))  ["), "\(name) \(auc)\n\(first.log)")
        }
        #expect(first.log.contains("\(best.0)  \(String(format: "%.4f", best.1))") && first.log.contains("← promoted to production"))
        #expect(first.log.contains("{\"user\":\""), "an HTTP score")
        #expect(first.log.contains("nobody-yet") && first.log.contains("cold"))
        #expect(FileManager.default.fileExists(atPath: scratch + "/models/v3/model.json"))
        // Refresh has newer complete weeks than production learnt from: its candidate trains on them.
        let production = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch + "/models/\(best.0)/metadata.json"))) as? [String: Any])
        let holdout = try #require(production["holdout_cutoff"] as? String)
        let learnt = try #require((production["cutoffs"] as? [String])?.filter { $0 != holdout }.max()?.prefix(10))
        let training = try #require(first.log.split(separator: "\n").first { $0.contains("refresh: training refresh-") }, "\(first.log)")
        let dates = training.split(separator: " on ", maxSplits: 1).last.map { $0.matches(of: /\d{4}-\d{2}-\d{2}/).map { String($0.output) } } ?? []
        #expect((dates.max() ?? "") > String(learnt), "refresh trained on \(dates), production learnt up to \(learnt)")

        let second = try RecurProcess(arguments, environment: environment, label: "demo-again")
        #expect(second.wait(timeout: 600) == 0, "\(second.log)")
        #expect(second.log.contains("reused:   models v1, v2, v3"))
        #expect(second.log.contains(", 0 events committed,"), "every streamed event was stored by the first run")
    }
}
