import Testing

@testable import RecurCore

@Suite struct ImportParsingTests {
    @Test func splitsCSVWithQuotesAndEmbeddedSeparators() {
        let splitter = FieldSplitter(.comma)
        #expect(splitter.split(#"a,"b,c",,"say ""hi""""#) == ["a", "b,c", "", #"say "hi""#])
        #expect(splitter.split(#""open,b"#) == nil)
        #expect(FieldSplitter(.semicolon).split("u1;2024-01-01;9,99") == ["u1", "2024-01-01", "9,99"])
        #expect(FieldSplitter(.tab).split("a\t\tc") == ["a", "", "c"])
        #expect(FieldSplitter(.whitespace).split("  17850   20101201  6   15.30 ") == ["17850", "20101201", "6", "15.30"])
    }

    @Test func parsesFlatJSONObjects() throws {
        let pairs = try JSONLineParser.parse(Array(#"{"user":"a\"b","n":1.5e2,"ok":true,"x":null,"nested":{"a":[1,2]},"u":"\u00e9\ud83d\ude00"}"#.utf8))
        let values = Dictionary(uniqueKeysWithValues: pairs.map { ($0.key, $0.value) })
        #expect(values["user"] == #"a"b"#)
        #expect(values["n"] == "1.5e2")
        #expect(values["ok"] == "true")
        #expect(values["x"] == .some(nil))
        #expect(values["nested"] == #"{"a":[1,2]}"#)
        #expect(values["u"] == "é😀")
        for bad in ["", "[1]", "{", #"{"a":}"#, #"{"a":1} x"#, #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{'a':1}"#] {
            #expect(throws: JSONLineParser.Failure.self, "\(bad)") { try JSONLineParser.parse(Array(bad.utf8)) }
        }
    }

    @Test func jsonRecordsReadTheSameWhateverTheirKeyOrder() {
        var session = ImportSession(options: ImportOptions(), format: .jsonl, source: "test")
        let lines = [
            #"{"user_id":"u1","ts":"2025-01-01T00:00:00Z","event_type":"view","":1}"#,
            #"{"":2,"event_type":"buy","amount":"9.5","ts":"2025-01-02","user_id":"u2"}"#,
            #"{"ts":"2025-01-03","extra":{"n":[1,"}"]},"user_id":"u3","event_type":"view"}"#,
            #"{"user_id":{"id":1},"ts":"2025-01-03","event_type":"view"}"#
        ]
        for (index, line) in lines.enumerated() {
            _ = session.take(RecordReader.Record(bytes: Array(line.utf8), line: index + 1, isOversized: false, hasUnterminatedQuote: false))
        }
        #expect(session.events.map(\.userID) == ["u1", "u2", "u3"])
        #expect(session.events.count == 3 && session.events[1].type == .purchase && session.events[1].amount == 9.5)
        #expect(session.rejected.count == 1 && session.rejected.first?.reason.contains("nested") == true)
    }

    @Test func scanFillsOnlyTheSlotsAskedForAndChecksTheRest() throws {
        let line = #"{"a":"x\"y","skip":{"n":[1,"]"]},"b":null,"c":{"d":1},"a\u0062":"esc","n":-1.5e3}"#
        var values = [JSONLineParser.Value?](repeating: nil, count: 4)
        var seen = [String]()
        try JSONLineParser.scan(Array(line.utf8), into: &values) { key, index in
            let name = String(decoding: key, as: UTF8.self)
            seen.append("\(index):\(name)")
            return ["a": 0, "b": 1, "c": 2, "ab": 0, "n": 3][name] ?? -1
        }
        #expect(seen == ["0:a", "1:skip", "2:b", "3:c", "4:ab", "5:n"])
        #expect(values == [.text("esc"), .null, .nested, .text("-1.5e3")])
        for bad in ["", "[1]", "{", #"{"a":}"#, #"{"a":1} x"#, #"{"a":"\x"}"#, #"{"a":"\u12"}"#, #"{'a':1}"#, "{\"a\":\"\u{1}\"}"] {
            var ignored = [JSONLineParser.Value?](repeating: nil, count: 1)
            #expect(throws: JSONLineParser.Failure.self, "\(bad)") { try JSONLineParser.scan(Array(bad.utf8), into: &ignored) { _, _ in -1 } }
        }
    }

    @Test(arguments: [
        ("customer_id", CanonicalField.userID), ("CustomerID", .userID), ("Customer ID", .userID), ("visitorid", .userID),
        ("timestamp", .timestamp), ("event_time", .timestamp), ("InvoiceDate", .timestamp), ("transaction_id", .order),
        ("InvoiceNo", .order), ("UnitPrice", .price), ("Quantity", .quantity), ("StockCode", .productID),
        ("event_type", .eventType), ("behavior", .eventType), ("revenue", .amount), ("item_id", .productID)
    ])
    func understandsColumnAliases(name: String, field: CanonicalField) {
        #expect(CanonicalField.matching(name) == field)
    }

    @Test(arguments: [
        ("add_to_cart", EventType.cart), ("buy", .purchase), ("click", .view), ("view", .view),
        ("Purchase", .purchase), ("return", .refund), ("addtocart", .cart), ("transaction", .purchase)
    ])
    func understandsEventTypeAliases(text: String, type: EventType) {
        #expect(EventType.matching(text) == type)
    }

    func interpret(_ values: [CanonicalField: String], type: EventType? = nil) -> Result<Event, Rejection> {
        RowInterpreter(defaultType: type, now: Timestamp(year: 2026, month: 1, day: 1)!).event { values[$0] }
    }

    @Test func rejectsEachKindOfBadValue() {
        let base: [CanonicalField: String] = [.userID: "u1", .timestamp: "2025-01-01", .eventType: "purchase", .amount: "10"]
        func reason(_ change: [CanonicalField: String?]) -> String? {
            var values = base
            for (k, v) in change { values[k] = v }
            if case .failure(let r) = interpret(values) { return r.kind }
            return nil
        }
        #expect(reason([:]) == nil)
        #expect(reason([.userID: nil]) == "missing field")
        #expect(reason([.timestamp: "not a date"]) == "bad timestamp")
        #expect(reason([.timestamp: "1970-01-02"]) == "timestamp out of range")
        #expect(reason([.timestamp: "2030-01-01"]) == "timestamp out of range")
        #expect(reason([.eventType: "teleport"]) == "unknown event type")
        // A purchase without an amount is an event: missing only in money features.
        #expect(reason([.amount: nil]) == nil)
        #expect(reason([.amount: "ten"]) == "bad number")
        #expect(reason([.amount: "inf"]) == "bad number")
        #expect(reason([.amount: "-5"]) == "negative amount")
        #expect(reason([.quantity: "1.5"]) == "bad quantity")
        #expect(reason([.quantity: "-2"]) == "bad quantity")
        #expect(reason([.productID: String(repeating: "p", count: 300)]) == "field too long")
    }

    @Test func derivesAmountsRefundsAndCancellations() throws {
        let priced = try interpret([.userID: "u", .timestamp: "2025-01-01", .price: "2.5", .quantity: "4"], type: .purchase).get()
        #expect(priced.amount == 10 && priced.type == .purchase && priced.quantity == 4)
        let cancelled = try interpret([.userID: "u", .timestamp: "2025-01-01", .price: "2.5", .quantity: "-4", .order: "C536379"], type: .purchase).get()
        #expect(cancelled.type == .refund && cancelled.amount == 10 && cancelled.quantity == 4)
        let refund = try interpret([.userID: "u", .timestamp: "2025-01-01", .eventType: "refund", .amount: "-7.25"]).get()
        #expect(refund.type == .refund && refund.amount == 7.25)
        let view = try interpret([.userID: "u", .timestamp: "2025-01-01", .eventType: "click"]).get()
        #expect(view.type == .view && view.amount == nil)
    }

    @Test func mappingFilesReportTheLineOfAMistake() throws {
        let good = try MappingFile(
            path: "m.toml",
            text:
                "# shop export\nformat = \"whitespace\"\nheader = false\ncolumns = \"user_id,ts,quantity,amount\"\nevent_type = \"purchase\"\nuser_id = \"Customer\"\n"
        )
        #expect(good.format == .whitespace && good.header == .absent && good.columns?.count == 4 && good.eventType == .purchase)
        #expect(good.renames[.userID] == "Customer")
        #expect(throws: ImportError.self) { try MappingFile(path: "m.toml", text: "user_id = a\nprice_total = b\n") }
        do {
            _ = try MappingFile(path: "m.toml", text: "user_id = a\nprice_total = b\n")
        } catch {
            #expect("\(error)".hasPrefix("m.toml:2: unknown field `price_total`"))
        }
    }

    @Test func mappingFilesSayHowDatesAreWritten() throws {
        let dotted = try MappingFile(path: "m.toml", text: "date_format = \"%d.%m.%Y %H:%M\"\n")
        #expect(dotted.dates == .format(try DateFormat("%d.%m.%Y %H:%M")))
        #expect(try MappingFile(path: "m.toml", text: "day_first = true\n").dates == .order(.dayFirst))
        var options = ImportOptions()
        options.merge(try MappingFile(path: "m.toml", text: "day_first = true\n"))
        #expect(options.dates == .order(.dayFirst))
        do {
            _ = try MappingFile(path: "m.toml", text: "user_id = a\ndate_format = \"%d.%m\"\n")
            Issue.record("a pattern without a year was taken")
        } catch {
            #expect("\(error)".hasPrefix("m.toml:2: date format `%d.%m` needs a year"), "\(error)")
        }
        // Read alone, an ambiguous slash date is refused, naming the options; a deciding one is read.
        let interpreter = RowInterpreter(defaultType: .view, now: Timestamp(year: 2026, month: 1, day: 1)!)
        #expect(interpreter.event { [.userID: "u", .timestamp: "03/04/2025"][$0] } == .failure(.ambiguousDate("03/04/2025")))
        #expect((try? interpreter.event { [.userID: "u", .timestamp: "13/04/2025"][$0] }.get())?.timestamp == Timestamp(year: 2025, month: 4, day: 13))
    }

    @Test func generatorIsDeterministicAndShaped() {
        var options = EventGenerator.Options()
        options.users = 200
        options.seed = 9
        let a = EventGenerator(options: options).rows(), b = EventGenerator(options: options).rows()
        #expect(a.count == b.count && a.count > 1_000)
        #expect(zip(a, b).allSatisfy { $0.serial == $1.serial && $0.timestamp == $1.timestamp })
        #expect(a.contains { $0.type == .purchase } && a.contains { $0.type == .cart } && a.contains { $0.type == .view })
        // In time order when nothing is late or duplicated.
        #expect(zip(a, a.dropFirst()).allSatisfy { $0.timestamp <= $1.timestamp })
        options.duplicatePercent = 5
        let duplicated = EventGenerator(options: options).rows()
        #expect(duplicated.count > a.count && Set(duplicated.map(\.serial)).count == a.count)
    }
}
