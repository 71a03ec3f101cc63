/// One feature of a set: an aggregation over a user's events that pass a filter, within an optional window.
public struct FeatureDefinition: Sendable, Hashable {
    /// How events are aggregated.
    public enum Kind: String, Sendable, CaseIterable {
        /// Events in the window.
        case count
        /// Net money (purchases minus refunds for `event = "purchase"`) in the window.
        case sum
        /// Mean money per matching event in the window.
        case mean
        /// Largest single amount in the window.
        case max
        /// Distinct UTC days with a matching event in the window.
        case distinctDays = "distinct_days"
        /// Days since the last matching event (undefined when there is none).
        case recency
        /// Days since the first matching event (undefined when there is none).
        case tenure
        /// Mean and standard deviation of days between consecutive matching events (all time).
        case gapMean = "gap_mean", gapStd = "gap_std"
        /// Sessions (split by the set's inactivity gap) that start in the window.
        case sessions
        /// Mean session length in minutes and mean events per session, for sessions starting in the window.
        case sessionMinutesMean = "session_minutes_mean", sessionEventsMean = "session_events_mean"
        /// Sessions in the window with a cart add and no purchase.
        case abandonedSessions = "abandoned_sessions"
        /// Matching events divided by events of type `per`, in the window (undefined when `per` is 0).
        case ratio
        /// Daily rate in the window divided by the daily rate in the `baseline` window.
        case trend
    }

    /// Which events count: one type, or all of them.
    public enum Filter: String, Sendable, CaseIterable {
        case any, view, cart, purchase, refund

        func matches(_ type: UInt8) -> Bool { self == .any || Int(type) == ordinal }
        var ordinal: Int {
            switch self {
            case .view: 0
            case .cart: 1
            case .purchase: 2
            case .refund: 3
            case .any: -1
            }
        }
    }

    public var name: String
    public var kind: Kind
    public var filter: Filter
    /// The window W: at as-of T it covers [T − W, T). nil means all time.
    public var window: TimeSpan?
    /// For `ratio`: the denominator's event type.
    public var per: Filter?
    /// For `trend`: the longer window the rate is compared with.
    public var baseline: TimeSpan?
    public var description: String

    public init(name: String, kind: Kind, filter: Filter, window: TimeSpan?, per: Filter? = nil, baseline: TimeSpan? = nil, description: String) {
        self.name = name
        self.kind = kind
        self.filter = filter
        self.window = window
        self.per = per
        self.baseline = baseline
        self.description = description
    }

    /// The longest span of history this feature looks at; nil when it needs all time.
    var horizon: TimeSpan? {
        switch kind {
        case .recency, .tenure, .gapMean, .gapStd: return nil
        case .trend: return baseline.map { max($0, window ?? $0) }
        default: return window
        }
    }
}
