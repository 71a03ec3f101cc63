import Postgres

/// The one home of `served_log`'s SQL: answers appended by the server, read back by the monitor.
public enum ServedAnswers {
    /// Appends with COPY; doubles are written in their shortest exact form, so they read back bit for bit.
    public static func append(_ answers: [ServedAnswer], on connection: Connection) throws {
        guard !answers.isEmpty else { return }
        _ = try connection.copyIn(
            "COPY served_log (logged_at, user_id, as_of, at_given, model, set_name, set_version, features, score, cold) FROM STDIN"
        ) { writer in
            var buffer = [UInt8]()
            buffer.reserveCapacity(answers.count * 256)
            for answer in answers {
                EventLoader.appendTimestamp(answer.loggedAt, to: &buffer); buffer.append(9)
                EventLoader.append(answer.user, to: &buffer); buffer.append(9)
                EventLoader.appendTimestamp(answer.asOf, to: &buffer); buffer.append(9)
                buffer.append(contentsOf: (answer.atGiven ? "t" : "f").utf8); buffer.append(9)
                EventLoader.append(answer.model, to: &buffer); buffer.append(9)
                EventLoader.append(answer.setName, to: &buffer); buffer.append(9)
                buffer.append(contentsOf: String(answer.setVersion).utf8); buffer.append(9)
                buffer.append(contentsOf: ("{" + answer.features.map(Self.text).joined(separator: ",") + "}").utf8); buffer.append(9)
                buffer.append(contentsOf: Self.text(answer.score).utf8); buffer.append(9)
                buffer.append(contentsOf: (answer.cold ? "t" : "f").utf8); buffer.append(10)
            }
            try writer.write(buffer)
        }
    }

    /// PostgreSQL's spelling of a double, exact.
    static func text(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "Infinity" : "-Infinity" }
        return "\(value)"
    }

    /// Answers logged in [since, until), oldest first, at most `limit`.
    public static func read(since: Timestamp?, until: Timestamp? = nil, limit: Int = 10_000_000, on connection: Connection) throws -> [ServedAnswer] {
        let rows = try connection.query(
            """
            SELECT (extract(epoch FROM logged_at) * 1000000)::bigint, user_id, (extract(epoch FROM as_of) * 1000000)::bigint, at_given,
                   model, set_name, set_version, features::text, score::text, cold
            FROM served_log WHERE logged_at >= $1 AND logged_at < $2 ORDER BY id LIMIT $3
            """, [since?.iso8601 ?? "0001-01-01T00:00:00Z", until?.iso8601 ?? "9999-01-01T00:00:00Z", limit])
        var answers = [ServedAnswer]()
        answers.reserveCapacity(rows.rowCount)
        for row in rows.rows {
            let array = try row.require(String.self, 7)
            let features = array.dropFirst().dropLast().split(separator: ",").map { Double(String($0)) ?? .nan }
            answers.append(
                ServedAnswer(
                    loggedAt: Timestamp(microseconds: try row.require(Int64.self, 0)), user: try row.require(String.self, 1),
                    asOf: Timestamp(microseconds: try row.require(Int64.self, 2)), atGiven: try row.require(Bool.self, 3),
                    model: try row.require(String.self, 4), setName: try row.require(String.self, 5), setVersion: try row.require(Int.self, 6),
                    features: features, score: Double(try row.require(String.self, 8)) ?? .nan, cold: try row.require(Bool.self, 9)))
        }
        return answers
    }
}
