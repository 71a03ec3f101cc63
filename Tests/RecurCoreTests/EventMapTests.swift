import Testing

@testable import RecurCore

/// `--event-map` and `--unknown-events`: page types of real logs mapped, the rest rejected, viewed or skipped.
@Suite struct EventMapTests {
    func type(_ text: String, _ options: ImportOptions) -> Result<EventType, Rejection> {
        RowInterpreter(defaultType: nil, options: options).eventType(text)
    }

    @Test func mappedTypesWinOverAliasesAndSpellingDoesNotMatter() throws {
        var options = ImportOptions()
        try options.addEventMap("Search=view, catalog_page=cart,buy=refund")
        #expect(try type("search", options).get() == .view)
        #expect(try type("Catalog-Page", options).get() == .cart)
        #expect(try type("buy", options).get() == .refund)
        #expect(try type("purchase", options).get() == .purchase)
    }

    @Test func unknownTypesFollowThePolicy() {
        var options = ImportOptions()
        guard case .failure(.unknownEventType("home")) = type("home", options) else { Issue.record("rejected by default"); return }
        options.unknownEvents = .view
        #expect((try? type("home", options).get()) == .view)
        options.unknownEvents = .skip
        guard case .failure(.skippedEventType("home")) = type("home", options) else { Issue.record("skipped"); return }
    }

    @Test func aMapThatIsNotNameEqualsTypeIsRefused() {
        var options = ImportOptions()
        #expect(throws: ImportError.self) { try options.addEventMap("search") }
        #expect(throws: ImportError.self) { try options.addEventMap("search=teleport") }
    }

    @Test func canonicalAndSpelledOutAliasesAgree() {
        for (text, expected) in [("view", EventType.view), ("Add To Cart", .cart), ("TRANSACTION", .purchase), ("refunded", .refund)] {
            #expect(EventType.matching(text) == expected, "\(text)")
        }
        #expect(EventType.matching("teleport") == nil)
    }
}
