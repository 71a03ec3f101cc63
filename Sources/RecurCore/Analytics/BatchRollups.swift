import Postgres

/// Keeps a store's registered rollups and sessions up to date with each batch a writer stores, in
/// the batch's own transaction: a batch counts in them exactly when its events are stored.
final class BatchRollups {
    /// Where a batch's new events are copied, for the rollups' statements to read.
    static let batchTable = "recur_batch_events"

    private let connection: Connection
    /// Names this writer's row in `event_high_water`.
    private let source: String
    private var generation: Int64 = -1
    private var statements: [String] = []
    private var tableReady = false

    init(connection: Connection, source: String) {
        self.connection = connection
        self.source = source
    }

    /// The newest event time stored before this batch, which its events carry as `high_water`.
    func highWater() throws -> Timestamp? {
        let rows = try connection.query("SELECT (extract(epoch FROM max(high_water)) * 1000000)::bigint FROM event_high_water")
        return try rows.decode(Int64.self, 0, 0).map(Timestamp.init(microseconds:))
    }

    /// The empty batch table, ready to be filled by COPY or by an INSERT … RETURNING.
    func prepareBatchTable() throws {
        if !tableReady {
            try connection.execute("CREATE TEMP TABLE IF NOT EXISTS \(Self.batchTable) (LIKE events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS")
            tableReady = true
        }
        try connection.execute("TRUNCATE \(Self.batchTable)")
    }

    /// Copies a batch's new events to the batch table and updates every rollup from it.
    func apply(_ fresh: [Event], loader: EventLoader) throws {
        guard !fresh.isEmpty else { return }
        try prepareBatchTable()
        _ = try loader.copy(fresh, into: Self.batchTable)
        try applyBatchTable()
    }

    /// Updates every rollup from the events in the batch table (stored in `events` already, in this transaction).
    func applyBatchTable() throws {
        // Read after the events are in: a registration either finished before (and is seen here) or
        // waits for this transaction and counts its events itself.
        let current = try RollupRegistry.generation(on: connection)
        if current != generation {
            statements = try RollupRegistry.load(on: connection).definitions.flatMap { $0.applySQL(batchTable: Self.batchTable) }
            generation = current
        }
        for statement in statements { try connection.execute(statement) }
        try connection.execute(
            """
            INSERT INTO event_high_water (source, high_water)
            SELECT $1, least(max(ts), now() + interval '1 day') FROM \(Self.batchTable) HAVING count(*) > 0
            ON CONFLICT (source) DO UPDATE SET high_water = greatest(event_high_water.high_water, excluded.high_water)
            """, [source])
    }
}
