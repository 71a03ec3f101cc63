/// One user's compact aggregator state: recent events kept exactly, older history folded into totals.
///
/// Events are applied one by one, in any order within the set's allowed lateness; `values(asOf:)` then
/// answers every feature of the set as of any time at or after the last event (minus the lateness).
/// Recent events are kept with their exact times so that window edges are exact at any T, not only
/// at midnight; each event type keeps only as much history as the longest window that reads it.
/// This is the only feature code: the backfill, the stream, training and the server all call it.
public struct UserFeatureState: Sendable {
    /// One kept event: time in microseconds, type code (view 0, cart 1, purchase 2, refund 3), amount in 1/100.
    public struct Record: Sendable, Equatable {
        var time: Int64
        var type: UInt8
        var cents: Int64
    }

    /// Totals of events that were folded away, per type code.
    struct Folded: Sendable, Equatable {
        var count: Int64 = 0
        var cents: Int64 = 0
        var maxCents: Int64 = -1
        var days: Int64 = 0
        var gapCount: Int64 = 0
        var gapDaysSum: Double = 0
        var gapDaysSquares: Double = 0
        var lastTime: Int64 = .min
    }

    let set: FeatureSet
    public internal(set) var records: [Record] = []
    var folded = [Folded](repeating: Folded(), count: 4)
    /// First time of each type code, and of any event at index 4; `.max` when none.
    var firstTime = [Int64](repeating: .max, count: 5)
    public internal(set) var lastEventAt: Timestamp?
    /// Per type code: how far back from the latest event records must be kept exactly.
    private let keep: [Int64]

    public init(set: FeatureSet) {
        self.set = set
        keep = UserFeatureState.historyPerType(set)
    }

    static func code(_ type: EventType) -> UInt8 {
        switch type {
        case .view: 0
        case .cart: 1
        case .purchase: 2
        case .refund: 3
        }
    }

    static func historyPerType(_ set: FeatureSet) -> [Int64] {
        var keep = [Int64](repeating: 0, count: 4)
        // Borrowed through the buffer: this runs for every state decoded or created.
        set.features.withUnsafeBufferPointer { features in
            for index in features.indices {
                guard let horizon = features[index].horizon else { continue }
                let kind = features[index].kind, filter = features[index].filter, per = features[index].per
                for code in 0..<4 {
                    // Net purchase sums subtract refunds, so refunds must be kept as long as such a window.
                    let netRefund = kind == .sum && filter == .purchase && code == 3
                    if kind.readsSessions || netRefund || filter.matches(UInt8(code)) || per?.matches(UInt8(code)) == true {
                        keep[code] = max(keep[code], horizon.microseconds)
                    }
                }
            }
        }
        let slack = set.allowedLateness.microseconds + Timestamp.microsecondsPerDay
        return keep.map { $0 + slack }
    }

    /// Folds one event in. Events may come out of order; one older than the kept history (more
    /// than the allowed lateness late) is still counted in all-time totals, without its exact time.
    public mutating func apply(_ event: Event) {
        let cents = Int64.cents(event.amount ?? 0)
        apply(time: event.timestamp.microseconds, type: Self.code(event.type), cents: cents)
    }

    mutating func apply(time: Int64, type: UInt8, cents: Int64) {
        firstTime[Int(type)] = min(firstTime[Int(type)], time)
        firstTime[4] = min(firstTime[4], time)
        if lastEventAt == nil || time > lastEventAt!.microseconds { lastEventAt = Timestamp(microseconds: time) }
        let record = Record(time: time, type: type, cents: cents)
        if time < folded[Int(type)].lastTime {
            fold(record)
        } else if let last = records.last, last.time > time {
            var index = records.count - 1
            while index > 0 && records[index - 1].time > time { index -= 1 }
            records.insert(record, at: index)
        } else {
            records.append(record)
        }
        if records.count >= 64 && records.count.isMultiple(of: 16) { prune() }
    }

    /// Folds records older than each type's kept history into the totals, whole days at a time so
    /// that distinct-day counts of folded and kept events never share a day.
    mutating func prune() {
        guard let latest = lastEventAt?.microseconds else { return }
        let day = Timestamp.microsecondsPerDay
        var horizonDay = [Int64](repeating: 0, count: 4)
        for code in 0..<4 { horizonDay[code] = Timestamp(microseconds: latest - keep[code]).dayIndex }
        var kept = [Record]()
        kept.reserveCapacity(records.count)
        for record in records {
            let recordDay = record.time >= 0 ? record.time / day : (record.time - day + 1) / day
            if recordDay < horizonDay[Int(record.type)] { fold(record) } else { kept.append(record) }
        }
        records = kept
    }

    private mutating func fold(_ record: Record) {
        var f = folded[Int(record.type)]
        let dayOfRecord = Timestamp(microseconds: record.time).dayIndex
        if f.lastTime == .min || Timestamp(microseconds: f.lastTime).dayIndex != dayOfRecord { f.days += 1 }
        if f.lastTime != .min {
            let gap = Double(abs(record.time - f.lastTime)) / Double(Timestamp.microsecondsPerDay)
            f.gapCount += 1
            f.gapDaysSum += gap
            f.gapDaysSquares += gap * gap
        }
        f.count += 1
        f.cents = f.cents.saturatingAdd(record.cents)
        f.maxCents = max(f.maxCents, record.cents)
        f.lastTime = max(f.lastTime, record.time)
        folded[Int(record.type)] = f
    }

    /// The first as-of time `values(asOf:)` answers exactly; nil when it answers every time.
    ///
    /// Events folded into totals have lost their times, so an as-of time whose windows, sessions or
    /// all-time totals could reach one of them cannot be answered from this state: the stored events
    /// must be folded again (`OnlineFeatures`) or the question refused (the server).
    public var earliestExactAsOf: Timestamp? {
        let slack = set.allowedLateness.microseconds + Timestamp.microsecondsPerDay
        let readsSessions = set.features.contains { $0.kind.readsSessions }
        // A folded event within a session gap of a kept one would change where that session starts.
        let margin = readsSessions ? set.sessionGap.microseconds : 0
        var earliest = Int64.min
        for code in 0..<4 where folded[code].count > 0 {
            earliest = max(earliest, folded[code].lastTime + (keep[code] - slack) + margin + 1)
        }
        return earliest == .min ? nil : Timestamp(microseconds: earliest)
    }

    /// Whether `values(asOf:)` is exact at `asOf` (see `earliestExactAsOf`).
    public func answersExactly(asOf: Timestamp) -> Bool {
        earliestExactAsOf.map { asOf >= $0 } ?? true
    }

    /// Approximate bytes this state takes when encoded.
    public var encodedSize: Int { encoded().count }
}
