import Foundation
import Testing

@testable import RecurCore

@Suite struct FeatureCatalogTests {
    @Test func theBuiltInSetIsTheShippedFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let file = try String(contentsOf: root.appendingPathComponent("features/default.toml"), encoding: .utf8)
        #expect(file == BuiltinFeatureSets.defaultSet, "run scripts/embed-features.sh")
        let set = try FeatureCatalog.builtin.resolve(nil)
        #expect(set.reference == "default@1")
        for name in [
            "purchase_count_90d", "purchase_amount_sum_30d", "purchase_count_all", "days_since_last_purchase",
            "days_since_first_event", "session_count_30d"
        ] {
            #expect(set.featureNames.contains(name), "\(name)")
        }
    }

    func mistake(_ body: String) -> String {
        do {
            _ = try FeatureCatalog.parse(path: "shop.toml", text: body)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    static let header = "name = \"shop\"\nversion = 2\nsession_gap = \"20m\"\nallowed_lateness = \"1d\"\n"

    @Test func mistakesNameFileLineAndWhatWasExpected() {
        let h = Self.header
        #expect(
            mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"average\"\ndescription = \"x\"\n").hasPrefix(
                "shop.toml:8: feature `a`: kind `average` is not one of count"))
        #expect(
            mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"count\"\nwindow = \"7 days\"\ndescription = \"x\"\n").hasPrefix(
                "shop.toml:9: feature `a`: window `7 days`"))
        #expect(
            mistake(
                h + "\n[[feature]]\nname = \"a\"\nkind = \"count\"\ndescription = \"x\"\n\n[[feature]]\nname = \"a\"\nkind = \"count\"\ndescription = \"y\"\n"
            ).hasPrefix("shop.toml:12: feature `a` is defined twice"))
        #expect(
            mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"count\"\nevent = \"wishlist\"\ndescription = \"x\"\n").contains("event `wishlist` is not one of")
        )
        #expect(mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"sum\"\nfield = \"price\"\ndescription = \"x\"\n").contains("field `price` is not known"))
        #expect(mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"ratio\"\ndescription = \"x\"\n").contains("a ratio needs `per"))
        #expect(mistake(h + "\n[[feature]]\nname = \"a\"\nkind = \"count\"\n").contains("expected a one-line `description`"))
        #expect(mistake("name = \"shop\"\nversion = 0\n").hasPrefix("shop.toml:2: expected `version = N`"))
        #expect(mistake("name = \"shop\"\nversion = 1\n[[feature]]\nname = = \"x\"\n").hasPrefix("shop.toml:4: not valid TOML"))
        #expect(mistake(h).contains("expected at least one [[feature]]"))
    }

    @Test func aFolderAddsSetsAndVersionsResolve() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("features-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try (Self.header + "\n[[feature]]\nname = \"purchase_count_7d\"\nkind = \"count\"\nevent = \"purchase\"\nwindow = \"7d\"\ndescription = \"x\"\n")
            .write(to: folder.appendingPathComponent("shop.toml"), atomically: true, encoding: .utf8)
        let catalog = try FeatureCatalog.load(directory: folder.path)
        #expect(try catalog.resolve("shop").version == 2)
        #expect(try catalog.resolve("shop@2").sessionGap == .minutes(20))
        #expect(throws: FeatureDefinitionError.self) { try catalog.resolve("shop@3") }
        #expect(try catalog.resolve(nil).name == "default")
    }
}
