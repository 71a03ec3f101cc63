import Postgres

/// A consumer group's next offset per partition in `stream_offsets`: where the group resumes, and the
/// fence every batch moves forward in the transaction that stores its events.
struct StreamOffsets {
    let topic: String
    let group: String

    /// Creates missing rows for these partitions (-2: from the beginning) and reads every one.
    func claim(_ partitions: [Int32], on connection: Connection) throws -> [Int32: Int64] {
        guard !partitions.isEmpty else { return [:] }
        let numbers = ArrayLiteral.integers(partitions.map(Int64.init))
        try connection.execute(
            """
            INSERT INTO stream_offsets (group_id, topic, partition, next_offset) SELECT $3, $1, unnest($2::int[]), -2
            ON CONFLICT DO NOTHING
            """, [topic, numbers, group])
        return try read(
            "SELECT partition, next_offset FROM stream_offsets WHERE group_id = $3 AND topic = $1 AND partition = ANY($2::int[])", [topic, numbers, group],
            on: connection)
    }

    /// Every partition the group has stored an offset for.
    func all(on connection: Connection) throws -> [Int32: Int64] {
        try read("SELECT partition, next_offset FROM stream_offsets WHERE group_id = $2 AND topic = $1", [topic, group], on: connection)
    }

    /// Starts a partition over from its beginning, if its offset is still `stored`; says whether it did.
    func restart(_ partition: Int32, from stored: Int64, on connection: Connection) throws -> Bool {
        try connection.execute(
            "UPDATE stream_offsets SET next_offset = -2, updated_at = now() WHERE group_id = $1 AND topic = $2 AND partition = $3 AND next_offset = $4",
            [group, topic, Int(partition), stored]) == 1
    }

    /// Moves the offsets forward only from where the batch began; takes the rows' locks, so two builders
    /// that both think they own a partition serialize here and the second is refused (false).
    func advance(_ ranges: [StreamBatch.PartitionRange], writer: String, on connection: Connection) throws -> Bool {
        guard !ranges.isEmpty else { return true }
        let updated = try connection.execute(
            """
            UPDATE stream_offsets o SET next_offset = v.next, writer = $2, group_id = $3, updated_at = now()
            FROM unnest($4::int[], $5::bigint[], $6::bigint[]) AS v(p, start, next)
            WHERE o.group_id = $3 AND o.topic = $1 AND o.partition = v.p AND o.next_offset = v.start
            """,
            [
                topic, writer, group, ArrayLiteral.integers(ranges.map { Int64($0.partition) }), ArrayLiteral.integers(ranges.map(\.start)),
                ArrayLiteral.integers(ranges.map(\.next))
            ])
        return updated == ranges.count
    }

    private func read(_ sql: String, _ parameters: [(any PostgresEncodable)?], on connection: Connection) throws -> [Int32: Int64] {
        var offsets = [Int32: Int64]()
        for row in try connection.query(sql, parameters).rows {
            offsets[Int32(try row.require(Int.self, 0))] = try row.require(Int64.self, 1)
        }
        return offsets
    }
}
