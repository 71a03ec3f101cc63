import Postgres

/// Loads validated events and rejected rows into PostgreSQL, one transaction per batch.
///
/// Batches go straight into `events` with COPY. When a batch meets an event id already stored (a
/// re-import), that batch and the rest of the file go through a staging table and
/// `INSERT … ON CONFLICT DO NOTHING`, which is slower but skips duplicates instead of failing.
final class EventLoader {
    /// A refused record: where it was, its raw text, and why.
    struct RejectedRow: Sendable {
        var position: String
        var raw: String
        var reason: String
        var rawHash: String
    }

    private let connection: Connection
    private let source: String
    /// Set by the importer: the rollups its batches update. The stream's writer updates its own.
    private let rollups: BatchRollups?
    /// The `high_water` the next copied events carry (see `BatchRollups.highWater`).
    var highWater: Timestamp?
    private var deduplicating = false
    private var stagingReady = false
    private var buffer = [UInt8]()

    init(connection: Connection, source: String, rollups: BatchRollups? = nil) {
        self.connection = connection
        self.source = source
        self.rollups = rollups
        buffer.reserveCapacity(1 << 20)
    }

    /// Loads one batch atomically, with its rollups; returns how many events were new.
    func load(_ events: [Event], rejected: [RejectedRow]) throws -> Int {
        var inserted = 0
        if !events.isEmpty && !deduplicating {
            do {
                inserted = try connection.transaction {
                    highWater = try rollups?.highWater()
                    let count = try copy(events, into: "events")
                    try rollups?.apply(events, loader: self)
                    try insertRejected(rejected)
                    return count
                }
                return inserted
            } catch let error as PostgresError where error.isUniqueViolation {
                deduplicating = true
            }
        }
        return try connection.transaction {
            var count = 0
            if !events.isEmpty {
                highWater = try rollups?.highWater()
                try prepareStaging()
                _ = try copy(events, into: "recur_import_stage")
                let insert = "INSERT INTO events SELECT DISTINCT ON (event_id) * FROM recur_import_stage ON CONFLICT (event_id) DO NOTHING"
                if let rollups {
                    try rollups.prepareBatchTable()
                    count = try connection.execute("WITH stored AS (\(insert) RETURNING *) INSERT INTO \(BatchRollups.batchTable) SELECT * FROM stored")
                    try rollups.applyBatchTable()
                } else {
                    count = try connection.execute(insert)
                }
                try connection.execute("TRUNCATE recur_import_stage")
            }
            try insertRejected(rejected)
            return count
        }
    }

    private func prepareStaging() throws {
        guard !stagingReady else { return }
        try connection.execute("CREATE TEMP TABLE IF NOT EXISTS recur_import_stage (LIKE events INCLUDING DEFAULTS)")
        stagingReady = true
    }

    func copy(_ events: some Collection<Event>, into table: String) throws -> Int {
        try connection.copyIn(
            """
            COPY \(table) (event_id, user_id, ts, event_type, amount, quantity, product_id, session_id, category, device, high_water) FROM STDIN
            """
        ) { writer in
            buffer.removeAll(keepingCapacity: true)
            var highWaterText = [UInt8]()
            if let highWater { Self.appendTimestamp(highWater, to: &highWaterText) } else { highWaterText = [92, 78] }
            for event in events {
                Self.append(event.eventID, to: &buffer); buffer.append(9)
                Self.append(event.userID, to: &buffer); buffer.append(9)
                Self.appendTimestamp(event.timestamp, to: &buffer); buffer.append(9)
                Self.append(event.type.rawValue, to: &buffer); buffer.append(9)
                Self.append(event.amount.map(Self.decimal), to: &buffer); buffer.append(9)
                Self.append(String(event.quantity), to: &buffer); buffer.append(9)
                Self.append(event.productID, to: &buffer); buffer.append(9)
                Self.append(event.sessionID, to: &buffer); buffer.append(9)
                Self.append(event.category, to: &buffer); buffer.append(9)
                Self.append(event.device, to: &buffer); buffer.append(9)
                buffer.append(contentsOf: highWaterText); buffer.append(10)
                if buffer.count >= 1 << 18 {
                    try writer.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
            try writer.write(buffer)
        }
        return events.count
    }

    func insertRejected(_ rows: [RejectedRow]) throws {
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + 200)]
            var values = [String]()
            var parameters = [(any PostgresEncodable)?]()
            for row in chunk {
                let n = parameters.count
                values.append("($\(n + 1), $\(n + 2), $\(n + 3), $\(n + 4), $\(n + 5))")
                parameters += [source, row.position, row.raw, row.reason, row.rawHash]
            }
            try connection.execute(
                """
                INSERT INTO rejected_events (source, position, raw, reason, raw_hash) VALUES \(values.joined(separator: ", "))
                ON CONFLICT (source, position, raw_hash) DO NOTHING
                """, parameters)
            start += chunk.count
        }
    }

    /// `YYYY-MM-DD HH:MM:SS.ffffff+00`, written digit by digit: string formatting showed in profiles.
    static func appendTimestamp(_ time: Timestamp, to buffer: inout [UInt8]) {
        let c = time.civil
        func digits(_ value: Int, _ width: Int) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            var v = value
            while divisor > 0 { buffer.append(UInt8(48 + v / divisor % 10)); v %= divisor * 10; divisor /= 10 }
        }
        digits(c.year, 4); buffer.append(45); digits(c.month, 2); buffer.append(45); digits(c.day, 2)
        buffer.append(32); digits(c.hour, 2); buffer.append(58); digits(c.minute, 2); buffer.append(58); digits(c.second, 2)
        if c.microsecond != 0 { buffer.append(46); digits(c.microsecond, 6) }
        buffer.append(43); buffer.append(48); buffer.append(48)
    }

    /// COPY text format: backslash escapes for the characters that end fields or rows; `\N` for NULL.
    static func append(_ text: String?, to buffer: inout [UInt8]) {
        guard let text else {
            buffer.append(92); buffer.append(78)
            return
        }
        var utf8 = text.utf8
        if utf8.withContiguousStorageIfAvailable({ $0.allSatisfy { $0 != 92 && $0 >= 32 } }) == true {
            buffer.append(contentsOf: utf8)
            return
        }
        utf8 = text.utf8
        for byte in utf8 {
            switch byte {
            case 92: buffer.append(92); buffer.append(92)
            case 9: buffer.append(92); buffer.append(116)
            case 10: buffer.append(92); buffer.append(110)
            case 13: buffer.append(92); buffer.append(114)
            case 0: continue
            default: buffer.append(byte)
            }
        }
    }

    /// Four decimal places at most, no exponent: what numeric(18,4) stores exactly.
    static func decimal(_ value: Double) -> String {
        let scaled = Int64((value * 10_000).rounded())
        let whole = scaled / 10_000, fraction = scaled % 10_000
        if fraction == 0 { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 4 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }
}
