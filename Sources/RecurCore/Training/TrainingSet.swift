import Foundation
import Postgres

/// Rows of (user, cutoff): features from `feature_snapshots` as of the cutoff, and whether the user
/// purchased in [cutoff, cutoff + horizon).
public struct TrainingSet: Sendable {
    /// Which (user, cutoff) rows a training set holds.
    public enum Population: String, Sendable, CaseIterable {
        /// Users with any event before the cutoff (everyone with a snapshot).
        case active
        /// Users with at least one purchase before the cutoff.
        case purchasers
    }

    public var featureNames: [String]
    public var users: [String] = []
    public var cutoffs: [Int64] = []
    /// Row-major, NaN = undefined; empty when the rows are on disk (`spill`).
    public var features: [Double] = []
    public var labels: [UInt8] = []
    public var rows: Int { labels.count }
    /// The rows on disk when the set was loaded with `rowsOnDisk`: every reader goes through
    /// `forEachBatch`, so training holds a batch of them at a time.
    public private(set) var spill: SpilledRows?
    /// Which of the spill's rows this set holds, ascending; nil: all of them, in order.
    private var fileRows: [Int32]?

    public init(featureNames: [String]) { self.featureNames = featureNames }

    /// The rows at one cutoff and the rows at the others.
    public func split(holdout: Int64) -> (training: TrainingSet, holdout: TrainingSet) {
        var a = TrainingSet(featureNames: featureNames), b = TrainingSet(featureNames: featureNames)
        if let spill { (a.spill, a.fileRows, b.spill, b.fileRows) = (spill, [], spill, []) }
        let p = featureNames.count
        for i in 0..<rows {
            let into = cutoffs[i] == holdout
            func add(_ part: inout TrainingSet) {
                part.users.append(users[i]); part.cutoffs.append(cutoffs[i]); part.labels.append(labels[i])
                if spill == nil { part.features += features[(i * p)..<((i + 1) * p)] } else { part.fileRows!.append(Int32(fileRow(i))) }
            }
            if into { add(&b) } else { add(&a) }
        }
        return (a, b)
    }

    /// One RFM summary, as of the newest cutoff: each customer once, as a spend model is fitted.
    public func newestSummary() throws -> (features: [Double], rows: Int, asOf: String) {
        let newest = cutoffs.max() ?? 0
        let p = featureNames.count
        var summary = [Double]()
        try forEachBatch(maxRows: Self.batchRows) { first, values in
            for r in 0..<(values.count / max(1, p)) where cutoffs[first + r] == newest { summary += values[(r * p)..<((r + 1) * p)] }
        }
        return (summary, summary.count / max(1, p), Timestamp(microseconds: newest).iso8601)
    }

    private func fileRow(_ i: Int) -> Int { fileRows.map { Int($0[i]) } ?? i }

    /// Reads the rows for `cutoffs`, refusing cutoffs without snapshots or whose horizon runs past the data.
    /// With `rowsOnDisk` the features go to a spill file as they arrive (training's way: memory then
    /// grows by the rows' users, cutoffs and labels only); otherwise into `features`. `progress` hears
    /// (snapshots read, snapshots at the cutoffs) now and then.
    public static func load(
        set: FeatureSet, cutoffs: [Timestamp], horizon: TimeSpan, population: Population, store: Store, rowsOnDisk: Bool = false,
        progress: ((_ read: Int, _ of: Int) -> Void)? = nil
    ) throws -> TrainingSet {
        let c = store.connection
        let sorted = Array(Set(cutoffs)).sorted()
        guard !sorted.isEmpty else { throw TrainingError.noCutoffs }
        let lastEvent = try c.query("SELECT (extract(epoch FROM max(ts)) * 1000000)::bigint FROM events").decode(Int64.self, 0, 0)
        guard let lastEvent else { throw TrainingError.noEvents }
        if let late = sorted.last, late.microseconds + horizon.microseconds > lastEvent + Timestamp.microsecondsPerDay {
            throw TrainingError.horizonPastData(cutoff: late.iso8601, horizon: horizon.description, lastEvent: Timestamp(microseconds: lastEvent).iso8601)
        }
        let array = "{" + sorted.map(\.iso8601).joined(separator: ",") + "}"
        let counts = try c.query(
            """
            SELECT (extract(epoch FROM t) * 1000000)::bigint, (SELECT count(*) FROM feature_snapshots s WHERE s.set_name = $1 AND s.set_version = $2 AND s.as_of = t)
            FROM unnest($3::timestamptz[]) AS t
            """, [set.name, set.version, array])
        let missing = try counts.rows.filter { try $0.require(Int.self, 1) == 0 }.map { Timestamp(microseconds: try $0.require(Int64.self, 0)) }
        if !missing.isEmpty { throw TrainingError.missingSnapshots(set: set.reference, cutoffs: missing) }
        let snapshots = try counts.rows.reduce(0) { $0 + (try $1.require(Int.self, 1)) }
        let stored = try c.query(
            "SELECT array_to_string(feature_names, ',') FROM feature_sets WHERE set_name = $1 AND set_version = $2",
            [set.name, set.version]
        ).decode(String.self, 0, 0)
        guard stored == set.featureNames.joined(separator: ",") else { throw TrainingError.definitionChanged(set.reference) }

        var result = TrainingSet(featureNames: set.featureNames)
        let p = set.featureNames.count
        let spill = rowsOnDisk ? try SpilledRows(width: p) : nil
        result.spill = spill
        let purchaseCount = set.featureNames.firstIndex(of: "purchase_count_all")
        if population == .purchasers && purchaseCount == nil { throw TrainingError.populationNeeds("purchase_count_all") }
        // COPY takes no parameters; every literal below is escaped by libpq.
        let sql = """
            COPY (SELECT s.user_id, (extract(epoch FROM s.as_of) * 1000000)::bigint, s.vals,
                         EXISTS (SELECT 1 FROM events e WHERE e.user_id = s.user_id AND e.event_type = 'purchase'
                                 AND e.ts >= s.as_of AND e.ts < s.as_of + make_interval(secs => \(Double(horizon.microseconds) / 1_000_000)))
                  FROM feature_snapshots s
                  WHERE s.set_name = \(try c.quoteLiteral(set.name)) AND s.set_version = \(set.version)
                    AND s.as_of = ANY(\(try c.quoteLiteral(array))::timestamptz[])
                  ORDER BY s.as_of, s.user_id) TO STDOUT
            """
        var values = [Double](repeating: .nan, count: p)
        var read = 0
        try c.copyOut(sql) { row in
            read += 1
            if read % 65_536 == 0 { progress?(read, snapshots) }
            let fields = row.split(separator: 9, maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4 else { return }
            var k = 0
            var start = fields[2].startIndex + 1
            let end = fields[2].endIndex - 1
            var index = start
            while index <= end && k < p {
                if index == end || row[index] == 44 {
                    let text = String(decoding: UnsafeRawBufferPointer(rebasing: row[start..<index]), as: UTF8.self)
                    values[k] = text == "NULL" ? .nan : (Double(text) ?? .nan)
                    k += 1
                    start = index + 1
                }
                index += 1
            }
            if population == .purchasers, let j = purchaseCount, !(values[j] > 0) { return }
            result.users.append(CopyText.string(UnsafeRawBufferPointer(rebasing: fields[0])))
            result.cutoffs.append(Int64(String(decoding: UnsafeRawBufferPointer(rebasing: fields[1]), as: UTF8.self)) ?? 0)
            if let spill {
                guard spill.count < Int(Int32.max) else { throw TrainingError.emptyTraining("more than \(Int32.max) rows: train on fewer cutoffs") }
                try values.withUnsafeBufferPointer { try spill.append($0) }
            } else {
                result.features += values
            }
            result.labels.append(fields[3].first == UInt8(ascii: "t") ? 1 : 0)
        }
        try spill?.flush()
        return result
    }
}

extension TrainingSet: FeatureRows {
    public var rowCount: Int { rows }
    public var width: Int { featureNames.count }

    public func forEachBatch(maxRows: Int, _ body: (Int, UnsafeBufferPointer<Double>) throws -> Void) throws {
        guard let spill else { return try InMemoryRows(values: features, rows: rows, width: width).forEachBatch(maxRows: maxRows, body) }
        let p = width, step = max(1, maxRows)
        var buffer = [Double](repeating: 0, count: min(step, rows) * p)
        try buffer.withUnsafeMutableBufferPointer { out in
            var first = 0
            while first < rows {
                let count = min(step, rows - first)
                // Consecutive rows of the file (a cutoff's rows are) come in one read.
                var k = 0
                while k < count {
                    let start = fileRow(first + k)
                    var run = 1
                    while k + run < count && fileRow(first + k + run) == start + run { run += 1 }
                    try spill.read(first: start, rows: run, into: out.baseAddress! + k * p)
                    k += run
                }
                try body(first, UnsafeBufferPointer(rebasing: out[0..<(count * p)]))
                first += count
            }
        }
    }
}

/// Why a training set could not be built, with the command that fixes it where there is one.
public enum TrainingError: Error, CustomStringConvertible {
    case noCutoffs
    case noEvents
    case missingSnapshots(set: String, cutoffs: [Timestamp])
    case horizonPastData(cutoff: String, horizon: String, lastEvent: String)
    case definitionChanged(String)
    case populationNeeds(String)
    case emptyTraining(String)

    public var description: String {
        switch self {
        case .noCutoffs: return "no cutoffs: give --cutoffs D,D,... or --from D --to D --every 7d"
        case .noEvents: return "no events stored: import some first (recur events import FILE)"
        case .missingSnapshots(let set, let cutoffs):
            let list = cutoffs.map(\.iso8601)
            let steps = Set(zip(cutoffs, cutoffs.dropFirst()).map { $1.microseconds - $0.microseconds })
            let command: String
            if cutoffs.count > 2, steps.count == 1, let step = steps.first, step % Timestamp.microsecondsPerDay == 0 {
                // An even series (what --from/--to/--every gave) is asked for the same way.
                command = "recur features backfill --set \(set) --from \(list[0]) --to \(list.last!) --every \(step / Timestamp.microsecondsPerDay)d"
            } else {
                command = "recur features backfill --set \(set) " + list.map { "--as-of \($0)" }.joined(separator: " ")
            }
            let shown = list.count > 4 ? "\(list.count) cutoffs from \(list[0]) to \(list.last!)" : list.joined(separator: ", ")
            return "no feature snapshots for \(set) at \(shown); backfill them first: \(command)"
        case .horizonPastData(let cutoff, let horizon, let lastEvent):
            return
                "cutoff \(cutoff) + horizon \(horizon) runs past the last stored event (\(lastEvent)): its labels would be incomplete; choose earlier cutoffs"
        case .definitionChanged(let set):
            return "feature set \(set) differs from the one its snapshots were computed with; re-run the backfill or use the stored version"
        case .populationNeeds(let feature): return "the purchasers population needs the feature \(feature) in the set"
        case .emptyTraining(let what): return "no rows to train on: \(what)"
        }
    }
}
