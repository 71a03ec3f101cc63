import Foundation
import Testing

@testable import RecurCore

@Suite struct RollupCatalogTests {
    @Test func theBuiltInRollupsAreTheShippedFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("features/rollups.toml"), encoding: .utf8)
        #expect(file == BuiltinRollups.text, "run scripts/embed-features.sh")
        let catalog = RollupCatalog.builtin()
        #expect(Set(catalog.rollups.map(\.name)).isSuperset(of: ["rollup_user_5m", "rollup_funnel_1h", "rollup_product_1d"]))
        let user = try #require(catalog.rollups.first { $0.name == "rollup_user_5m" })
        #expect(user.window == .minutes(5) && user.watermark == .hours(1) && user.group == .user)
        #expect(catalog.sessions?.gap == .minutes(30))
        #expect(catalog.rollups.first { $0.name == "rollup_product_1d" }?.timeColumn == "day")
    }

    func error(_ text: String) -> String {
        do {
            _ = try RollupCatalog.parse(path: "mine.toml", text: text, features: .builtin)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func mistakesNameTheFileTheLineAndWhatWasExpected() {
        let head = "[[rollup]]\nname = \"mine\"\nwindow = \"5m\"\n"
        #expect(error(head + "measures = [\"events\", \"clicks\"]").hasPrefix("mine.toml:4: rollup `mine`: measure `clicks` is not one of events, views"))
        #expect(error(head + "measures = [\"conversion\"]").contains("conversion needs the views and purchases measures too"))
        #expect(error(head + "group = \"shop\"\nmeasures = [\"events\"]").hasPrefix("mine.toml:4: rollup `mine`: group `shop` is not one of user, product"))
        #expect(error("[[rollup]]\nname = \"events\"\nwindow = \"5m\"\nmeasures = [\"events\"]").contains("one of Recur's own tables"))
        #expect(error("[[rollup]]\nname = \"m\"\nwindow = \"0s\"\nmeasures = [\"events\"]").contains("window `0s` is not a duration of a second or more"))
        #expect(error(head + "measures = []").contains("expected `measures"))
        #expect(error(head + "measures = [\"events\"]\n[[rollup]]\nname = \"mine\"\nwindow = \"1h\"\nmeasures = [\"events\"]").contains("defined twice"))
        #expect(error("[sessions]\nset = \"nope\"").contains("unknown feature set `nope`"))
        #expect(error(head + "measures = [\"events\"]") == "no error")
    }

    @Test func aFolderMayHoldRollupsBesideFeatureSets() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("rollups-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "[[rollup]]\nname = \"rollup_user_5m\"\nwindow = \"10m\"\ngroup = \"user\"\nmeasures = [\"events\"]\n".write(
            toFile: folder + "/rollups.toml", atomically: true, encoding: .utf8)
        let features = try FeatureCatalog.load(directory: folder)
        #expect(features.sets.count == FeatureCatalog.builtin.sets.count)
        let catalog = try RollupCatalog.load(directory: folder, features: features)
        #expect(catalog.rollups.first { $0.name == "rollup_user_5m" }?.window == .minutes(10))
        #expect(catalog.rollups.count == RollupCatalog.builtin().rollups.count)
    }
}
