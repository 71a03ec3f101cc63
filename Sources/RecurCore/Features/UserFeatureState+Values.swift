/// The parts of a feature definition that computing it reads, without its strings: copying a
/// whole definition per feature and user retained them, a third of a server's load time.
struct FeatureSpec {
    var kind: FeatureDefinition.Kind
    var filter: FeatureDefinition.Filter
    var window: TimeSpan?
    var per: FeatureDefinition.Filter?
    var baseline: TimeSpan?

    init(_ features: UnsafeBufferPointer<FeatureDefinition>, _ index: Int) {
        kind = features[index].kind
        filter = features[index].filter
        window = features[index].window
        per = features[index].per
        baseline = features[index].baseline
    }
}

extension UserFeatureState {
    /// A run of events with no gap longer than the set's session gap.
    struct Session {
        var start: Int64
        var end: Int64
        var events: Int
        var hasCart: Bool
        var hasPurchase: Bool
    }

    /// Every feature of the set as of `asOf`, in `set.featureNames` order; `Double.nan` where undefined.
    ///
    /// Only events strictly before `asOf` count. Exact for any `asOf` at or after the last applied
    /// event minus the allowed lateness.
    public func values(asOf: Timestamp) -> [Double] {
        let t = asOf.microseconds
        let visible = records[0..<firstRecord(atOrAfter: t)]
        let readsSessions = set.features.withUnsafeBufferPointer { features in features.indices.contains { features[$0].kind.readsSessions } }
        let sessions = readsSessions ? self.sessions(visible) : []
        var out = [Double](repeating: .nan, count: set.features.count)
        set.features.withUnsafeBufferPointer { features in
            for index in features.indices { out[index] = value(FeatureSpec(features, index), t: t, visible: visible, sessions: sessions) }
        }
        return out
    }

    /// The index of the first kept record at or after `t` (records are in time order).
    func firstRecord(atOrAfter t: Int64, below end: Int? = nil) -> Int {
        var low = 0, high = end ?? records.count
        while low < high {
            let mid = (low + high) / 2
            if records[mid].time < t { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private func value(_ f: FeatureSpec, t: Int64, visible: ArraySlice<Record>, sessions: [Session]) -> Double {
        let day = Double(Timestamp.microsecondsPerDay)
        let from = f.window.map { t - $0.microseconds } ?? .min
        let allTime = f.window == nil
        // Shared constant arrays: building a fresh array per feature was most of the cost of a call.
        func codes(_ filter: FeatureDefinition.Filter) -> [Int] { filter == .any ? Self.allCodes : Self.singleCodes[filter.ordinal] }
        func count(_ filter: FeatureDefinition.Filter, since: Int64, includeFolded: Bool) -> Double {
            var n: Int64 = includeFolded ? codes(filter).reduce(0) { $0 + folded[$1].count } : 0
            for r in visible.reversed() {
                if r.time < since { break }
                if filter.matches(r.type) { n += 1 }
            }
            return Double(n)
        }
        switch f.kind {
        case .count:
            return count(f.filter, since: from, includeFolded: allTime)
        case .sum, .mean, .max:
            // For purchases, the sum is net of refunds; mean and max describe purchases themselves.
            var cents: Int64 = 0, n: Int64 = 0, largest: Int64 = -1
            let net = f.kind == .sum && f.filter == .purchase
            if allTime {
                for code in codes(f.filter) {
                    cents = cents.saturatingAdd(folded[code].cents); n += folded[code].count; largest = max(largest, folded[code].maxCents)
                }
                if net { cents = cents.saturatingAdd(-max(folded[3].cents, -Int64.max)) }
            }
            for r in visible.reversed() {
                if r.time < from { break }
                if f.filter.matches(r.type) {
                    cents = cents.saturatingAdd(r.cents); n += 1; largest = max(largest, r.cents)
                } else if net && r.type == 3 {
                    cents = cents.saturatingAdd(-max(r.cents, -Int64.max))
                }
            }
            switch f.kind {
            case .sum: return Double(cents) / 100
            case .mean: return n == 0 ? .nan : Double(cents) / 100 / Double(n)
            default: return largest < 0 ? .nan : Double(largest) / 100
            }
        case .distinctDays:
            var days: Int64 = allTime ? codes(f.filter).reduce(0) { $0 + folded[$1].days } : 0
            var lastDay = Int64.min
            for r in visible.reversed() {
                if r.time < from { break }
                guard f.filter.matches(r.type) else { continue }
                let d = Timestamp(microseconds: r.time).dayIndex
                if d != lastDay { days += 1; lastDay = d }
            }
            return Double(days)
        case .recency, .tenure:
            return anchor(f, t: t, visible: visible).map { Double(t - $0) / day } ?? .nan
        case .gapMean, .gapStd:
            var n: Int64 = 0, sum = 0.0, squares = 0.0
            var previous = Int64.min
            for code in codes(f.filter) {
                n += folded[code].gapCount; sum += folded[code].gapDaysSum; squares += folded[code].gapDaysSquares
                previous = max(previous, folded[code].lastTime)
            }
            for r in visible where f.filter.matches(r.type) {
                if previous != .min {
                    let gap = Double(r.time - previous) / day
                    n += 1; sum += gap; squares += gap * gap
                }
                previous = r.time
            }
            guard n > 0 else { return .nan }
            let mean = sum / Double(n)
            return f.kind == .gapMean ? mean : max(0, squares / Double(n) - mean * mean).squareRoot()
        case .sessions, .sessionMinutesMean, .sessionEventsMean, .abandonedSessions:
            var n = 0, minutes = 0.0, events = 0, abandoned = 0
            for s in sessions.reversed() {
                if s.start < from { break }
                n += 1
                minutes += Double(s.end - s.start) / 60_000_000
                events += s.events
                if s.hasCart && !s.hasPurchase { abandoned += 1 }
            }
            switch f.kind {
            case .sessions: return Double(n)
            case .abandonedSessions: return Double(abandoned)
            case .sessionMinutesMean: return n == 0 ? .nan : minutes / Double(n)
            default: return n == 0 ? .nan : Double(events) / Double(n)
            }
        case .ratio:
            let denominator = count(f.per ?? .any, since: from, includeFolded: allTime)
            return denominator == 0 ? .nan : count(f.filter, since: from, includeFolded: allTime) / denominator
        case .trend:
            guard let window = f.window, let baseline = f.baseline else { return .nan }
            let long = count(f.filter, since: t - baseline.microseconds, includeFolded: false)
            guard long > 0 else { return .nan }
            let short = count(f.filter, since: t - window.microseconds, includeFolded: false)
            return (short / window.days) / (long / baseline.days)
        }
    }

    /// For recency and tenure, the time the value counts days from (the last or first matching event
    /// before `t`); nil when there is none. The value is `(t - anchor)` in days.
    func anchor(_ f: FeatureSpec, t: Int64, visible: ArraySlice<Record>) -> Int64? {
        switch f.kind {
        case .recency:
            if let r = visible.last(where: { f.filter.matches($0.type) }) { return r.time }
            let codes = f.filter == .any ? Self.allCodes : Self.singleCodes[f.filter.ordinal]
            return codes.map { folded[$0].lastTime }.filter { $0 != .min && $0 < t }.max()
        case .tenure:
            let first = f.filter == .any ? firstTime[4] : firstTime[f.filter.ordinal]
            return first == .max || first >= t ? nil : first
        default:
            return nil
        }
    }

    static let allCodes = [0, 1, 2, 3]
    static let singleCodes = [[0], [1], [2], [3]]

    func sessions(_ visible: ArraySlice<Record>) -> [Session] {
        var sessions = [Session]()
        let gap = set.sessionGap.microseconds
        for r in visible {
            if var current = sessions.last, r.time - current.end <= gap {
                current.end = r.time
                current.events += 1
                current.hasCart = current.hasCart || r.type == 1
                current.hasPurchase = current.hasPurchase || r.type == 2
                sessions[sessions.count - 1] = current
            } else {
                sessions.append(Session(start: r.time, end: r.time, events: 1, hasCart: r.type == 1, hasPurchase: r.type == 2))
            }
        }
        return sessions
    }
}

extension FeatureDefinition.Kind {
    /// Recency and tenure: the value grows with the as-of time, from a fixed event time.
    var movesWithClock: Bool { self == .recency || self == .tenure }
    var readsSessions: Bool { self == .sessions || self == .sessionMinutesMean || self == .sessionEventsMean || self == .abandonedSessions }
}
