import Testing
import Postgres

@Suite struct BinaryCopyRowsTests {
    @Test func rowsComeBackAsTheyWereSent() throws {
        let store = try TestStore.fresh("binary-copy")
        defer { TestStore.drop(store) }
        let c = store.connection
        try c.execute("CREATE TEMP TABLE t (name text, data bytea, at timestamptz, n bigint)")
        var rows = BinaryCopyRows()
        rows.beginRow(fields: 4)
        rows.append("zoë \"quoted\"\t")
        rows.append(bytea: [0, 1, 0xFF, 92, 10])
        rows.append(microsecondsSince1970: 1_767_225_600_123_456)  // 2026-01-01T00:00:00.123456Z
        rows.append(Int64.min)
        rows.beginRow(fields: 4)
        rows.append("")
        rows.append(bytea: [])
        rows.append(microsecondsSince1970: nil)
        rows.appendNull()
        let copied = try c.copyIn("COPY t FROM STDIN (FORMAT binary)") { try $0.write(rows.finished()) }
        #expect(copied == 2)
        let result = try c.query("""
            SELECT name, encode(data, 'hex'), to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US'), n::text FROM t ORDER BY name DESC
            """)
        let back = result.rows
        #expect(try back[0].require(String.self, 0) == "zoë \"quoted\"\t")
        #expect(try back[0].require(String.self, 1) == "0001ff5c0a")
        #expect(try back[0].require(String.self, 2) == "2026-01-01 00:00:00.123456")
        #expect(try back[0].require(String.self, 3) == String(Int64.min))
        #expect(try back[1].require(String.self, 0) == "" && result.isNull(1, 2) && result.isNull(1, 3))
    }
}
