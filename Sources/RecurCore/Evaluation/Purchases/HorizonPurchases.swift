/// What each evaluation user bought in [cutoff, cutoff + horizon): distinct purchase days (UTC, as
/// the features and the buy-till-you-die models count them) and the amount spent.
public struct HorizonPurchases: Sendable, Equatable {
    public var days: [Double]
    public var amount: [Double]

    public init(days: [Double], amount: [Double]) {
        self.days = days
        self.amount = amount
    }

    /// One pass over the purchases in the window, grouped by user; users without one bought nothing.
    public static func load(users: [String], cutoff: Timestamp, horizon: TimeSpan, store: Store) throws -> HorizonPurchases {
        let result = try store.connection.query(
            """
            SELECT user_id, count(DISTINCT floor(extract(epoch FROM ts) / 86400))::float8, coalesce(sum(amount), 0)::float8
            FROM events
            WHERE event_type = 'purchase' AND ts >= $1::timestamptz AND ts < $1::timestamptz + make_interval(secs => $2::float8)
            GROUP BY user_id
            """, [cutoff.iso8601, String(Double(horizon.microseconds) / 1_000_000)])
        var byUser = [String: (Double, Double)](minimumCapacity: result.rows.count)
        for row in result.rows { byUser[try row.require(String.self, 0)] = (try row.require(Double.self, 1), try row.require(Double.self, 2)) }
        return HorizonPurchases(days: users.map { byUser[$0]?.0 ?? 0 }, amount: users.map { byUser[$0]?.1 ?? 0 })
    }
}
