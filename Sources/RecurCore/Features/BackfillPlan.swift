/// What a backfill computes: one feature set, the as-of times, and optionally a list of users.
public struct BackfillPlan: Sendable {
    public var set: FeatureSet
    /// Sorted, distinct as-of times.
    public var asOfTimes: [Timestamp]
    public var users: [String]?
    /// Parallel workers, each reading its own share of users (by hash) on its own connections.
    public var workers = 2
    /// Users per committed chunk; a resumed run continues after the last committed chunk.
    public var usersPerChunk = 2_000

    public init(set: FeatureSet, asOfTimes: [Timestamp], users: [String]? = nil) {
        self.set = set
        self.asOfTimes = Array(Set(asOfTimes)).sorted()
        self.users = users
    }

    /// `from`, `from + every`, … up to and including `to`.
    public static func times(from: Timestamp, to: Timestamp, every: TimeSpan) -> [Timestamp] {
        var times = [Timestamp]()
        var t = from
        while t <= to && times.count < 100_000 {
            times.append(t)
            t = t + every
        }
        return times
    }
}

/// What a finished backfill did.
public struct BackfillSummary: Sendable {
    public var users = 0
    public var events = 0
    public var snapshots = 0
    public var seconds = 0.0
    public var resumed = false
    public var stateBytes = 0
    public var eventsPerSecond: Double { seconds > 0 ? Double(events) / seconds : 0 }
    public var meanStateBytes: Double { users > 0 ? Double(stateBytes) / Double(users) : 0 }
}
