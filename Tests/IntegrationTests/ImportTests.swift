import Foundation
import Postgres
import Testing

@testable import RecurCore

@Suite struct ImportTests {
    func temporaryFile(_ name: String, _ bytes: [UInt8]) throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("recur-import-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let path = folder.appendingPathComponent(name).path
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func count(_ store: Store, _ sql: String) throws -> Int { try store.connection.query(sql).require(Int.self, 0, 0) }

    @Test func importsGoodRowsAndAccountsForEveryBadOne() throws {
        let store = try TestStore.fresh("badrows")
        defer { TestStore.drop(store) }
        var file = Array("event_id,user_id,ts,event_type,amount,quantity\n".utf8)
        let good = [
            "e1,u1,2025-01-01T10:00:00Z,purchase,10.50,1", "e2,u1,2025-01-02T10:00:00Z,view,,1", "e3,u2,20250103,add_to_cart,,2",
            "e10,u1,2025-01-01,purchase,,1"
        ]
        let bad: [(String, [UInt8])] = [
            ("wrong column count", Array("e4,u1,2025-01-01\n".utf8)),
            ("bad timestamp", Array("e5,u1,31/31/2025,view,,1\n".utf8)),
            ("negative amount", Array("e6,u1,2025-01-01,purchase,-3,1\n".utf8)),
            ("unknown event type", Array("e7,u1,2025-01-01,teleport,,1\n".utf8)),
            ("invalid UTF-8", Array("e8,u\u{FF},2025-01-01,view,,1".utf8).map { $0 == 0xC3 ? 0xFF : $0 } + [10]),
            ("record too long", Array("e9,u1,".utf8) + [UInt8](repeating: 65, count: 10 << 20) + [10]),
            ("binary data", [0, 1, 2, 0xFE, 0x7F, 44, 44, 44, 44, 44, 10]),
            ("timestamp out of range", Array("e11,u1,2099-01-01,view,,1\n".utf8)),
            ("unterminated quote", Array("e12,\"u1,2025-01-01,view,,1\n".utf8))
        ]
        for line in good { file += Array((line + "\n").utf8) }
        for (_, bytes) in bad { file += bytes }
        let path = try temporaryFile("bad.csv", file)
        let summary = try EventImporter(options: ImportOptions()).run(path: path, store: store)
        #expect(summary.read == good.count + bad.count)
        #expect(summary.loaded == good.count)
        #expect(summary.rejected == bad.count)
        for (kind, _) in bad { #expect(summary.rejectionsByKind[kind] == 1, "\(kind)") }
        #expect(try count(store, "SELECT count(*) FROM events") == good.count)
        #expect(try count(store, "SELECT count(*) FROM rejected_events") == bad.count)
        // The 10 MB line is kept as its first 64 KiB only; every rejection names its line.
        #expect(try count(store, "SELECT max(length(raw)) FROM rejected_events") <= 64 << 10)
        #expect(try count(store, "SELECT count(*) FROM rejected_events WHERE position ~ '^line [0-9]+$' AND reason <> ''") == bad.count)
        // Re-importing adds nothing, rejected rows included.
        let again = try EventImporter(options: ImportOptions()).run(path: path, store: store)
        #expect(again.loaded == 0 && again.duplicates == good.count)
        #expect(try count(store, "SELECT count(*) FROM rejected_events") == bad.count)
    }

    @Test func identicalLinesInOneFileStayTwoEventsButReimportsAddNothing() throws {
        let store = try TestStore.fresh("dedup")
        defer { TestStore.drop(store) }
        let text = "17850 20101201 6 15.30\n17850 20101201 6 15.30\n13047 20101202 1 3.75\n"
        let path = try temporaryFile("orders.txt", Array(text.utf8))
        var options = ImportOptions()
        options.format = .whitespace
        options.header = .absent
        options.columns = ["user_id", "ts", "quantity", "amount"]
        options.eventType = .purchase
        let first = try EventImporter(options: options).run(path: path, store: store)
        #expect(first.loaded == 3)
        let second = try EventImporter(options: options).run(path: path, store: store)
        #expect(second.loaded == 0 && second.duplicates == 3)
        #expect(try count(store, "SELECT count(*) FROM events WHERE user_id = '17850' AND amount = 15.30 AND quantity = 6") == 2)
    }

    @Test func readsAliasesJSONLinesGzipAndPriceTimesQuantity() throws {
        let store = try TestStore.fresh("aliases")
        defer { TestStore.drop(store) }
        // Online Retail shape: invoice lines, price × quantity, C-invoices are cancellations.
        let retail = """
            InvoiceNo;StockCode;Description;Quantity;InvoiceDate;UnitPrice;CustomerID;Country
            536365;85123A;WHITE HANGING HEART;6;12/1/2010 8:26;2,55;17850;United Kingdom
            536366;22633;HAND WARMER;6;12/1/2010 8:28;1.85;17850;United Kingdom
            C536379;D;Discount;-1;12/1/2010 9:41;27.50;14527;United Kingdom
            536401;22633;HAND WARMER;2;12/13/2010 10:02;1.85;17850;United Kingdom
            """
        let retailPath = try temporaryFile("retail.csv", Array(retail.utf8))
        let r = try EventImporter(options: ImportOptions()).run(path: retailPath, store: store)
        #expect(r.loaded == 3 && r.rejected == 1, "2,55 is not a number Recur guesses at")
        // 12/13 says the file is month-first, so 12/1 is 1 December, not 12 January.
        #expect(r.notes.contains { $0.hasPrefix("dates: month-first") }, "\(r.notes)")
        #expect(try count(store, "SELECT count(*) FROM events WHERE user_id = '17850' AND ts = '2010-12-01 08:28:00+00'") == 1)
        #expect(try count(store, "SELECT count(*) FROM events WHERE event_type = 'refund' AND amount = 27.5 AND user_id = '14527'") == 1)

        let jsonl = """
            {"customer_id": "c1", "event_time": 1735725600, "event_type": "add_to_cart", "product_id": "p1", "extra": {"x": 1}}
            {"customer_id": "c1", "event_time": "2025-01-01T10:05:00Z", "event_type": "buy", "price": 4.5, "quantity": 2}
            not json at all
            """
        let gz = try gzip(Array(jsonl.utf8))
        let jsonPath = try temporaryFile("clicks.jsonl.gz", gz)
        let j = try EventImporter(options: ImportOptions()).run(path: jsonPath, store: store)
        #expect(j.loaded == 2 && j.rejected == 1 && j.rejectionsByKind["invalid JSON"] == 1)
        #expect(try count(store, "SELECT count(*) FROM events WHERE user_id = 'c1' AND event_type = 'purchase' AND amount = 9") == 1)
        #expect(try count(store, "SELECT count(*) FROM events WHERE user_id = 'c1' AND event_type = 'cart' AND ts = '2025-01-01T10:00:00Z'") == 1)
    }

    @Test func anEmptyFileIsAnErrorNamingIt() throws {
        let store = try TestStore.fresh("empty")
        defer { TestStore.drop(store) }
        let path = try temporaryFile("empty.csv", [])
        #expect(throws: ImportError.self) { try EventImporter(options: ImportOptions()).run(path: path, store: store) }
        let headerOnly = try temporaryFile("header.csv", Array("user_id,ts,event_type\n".utf8))
        #expect(throws: ImportError.self) { try EventImporter(options: ImportOptions()).run(path: headerOnly, store: store) }
    }

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let path = try temporaryFile("plain", bytes)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-kf", path]
        try process.run()
        process.waitUntilExit()
        return Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }
}
