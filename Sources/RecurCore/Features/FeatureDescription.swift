import Foundation
import Postgres

/// Summary statistics of each feature over the snapshots at one as-of time.
public struct FeatureDescription: Sendable {
    /// One feature's null rate, mean and p5/p25/p50/p75/p95.
    public struct Statistic: Sendable {
        public var name: String
        public var nullRate: Double
        public var mean: Double?
        public var quantiles: [Double?]
    }

    public var asOf: Timestamp
    public var rows: Int
    public var features: [Statistic]

    public static func read(set: FeatureSet, asOf: Timestamp?, store: Store) throws -> FeatureDescription {
        let c = store.connection
        let when: Timestamp
        if let asOf {
            when = asOf
        } else {
            let latest = try c.query(
                "SELECT (extract(epoch FROM max(as_of)) * 1000000)::bigint FROM feature_snapshots WHERE set_name = $1 AND set_version = $2",
                [set.name, set.version]
            ).decode(Int64.self, 0, 0)
            guard let latest else {
                throw FeatureDefinitionError.unreadable(
                    path: "feature_snapshots",
                    reason: "no snapshots for \(set.reference); run: recur features backfill --set \(set.reference) --as-of now")
            }
            when = Timestamp(microseconds: latest)
        }
        let result = try c.query(
            """
            SELECT u.i, count(*), count(u.v), avg(u.v)::float8,
                   percentile_cont(ARRAY[0.05, 0.25, 0.5, 0.75, 0.95]) WITHIN GROUP (ORDER BY u.v)::float8[]
            FROM feature_snapshots s, unnest(s.vals) WITH ORDINALITY AS u(v, i)
            WHERE s.set_name = $1 AND s.set_version = $2 AND s.as_of = to_timestamp($3)
            GROUP BY u.i ORDER BY u.i
            """, [set.name, set.version, Double(when.microseconds) / 1_000_000])
        var stats = [Statistic]()
        var rows = 0
        for row in result.rows {
            let index = try row.require(Int.self, 0) - 1
            let total = try row.require(Int.self, 1), present = try row.require(Int.self, 2)
            rows = max(rows, total)
            let quantiles =
                (try row.decode(String.self, 4)).map { text in
                    text.trimmingCharacters(in: CharacterSet(charactersIn: "{}")).split(separator: ",").map { Double($0) }
                } ?? [nil, nil, nil, nil, nil]
            guard index >= 0 && index < set.featureNames.count else { continue }
            stats.append(
                Statistic(
                    name: set.featureNames[index], nullRate: total == 0 ? 0 : 1 - Double(present) / Double(total),
                    mean: try row.decode(Double.self, 3), quantiles: quantiles))
        }
        return FeatureDescription(asOf: when, rows: rows, features: stats)
    }
}
