import Foundation

/// Your own labelled rows as a training set: the features as of each row's time (`FeatureJoin`),
/// and a 0/1 label from one of its columns. The holdout is the latest rows by time, and no training
/// row shares a time with a holdout row, so evaluation stays forward in time.
public struct LabelledRows {
    public var path: String
    public var label: String
    public var userColumn: String?
    public var timeColumn: String?
    public var asKnown = false

    public init(path: String, label: String) {
        self.path = path
        self.label = label
    }

    /// Where the holdout starts.
    public enum Holdout: Sendable {
        /// The latest share of rows (by time; rows at the boundary time go with the holdout).
        case share(Double)
        /// Rows at or after this time.
        case from(Timestamp)
    }

    /// The loaded rows and how they split.
    public struct Loaded {
        /// Rows with their time as `cutoffs[i]`'s period: the training periods, then the holdout's.
        public var data: TrainingSet
        /// The first time of each period: earlier training rows, the newest training rows (for
        /// calibration), the holdout. ModelTrainer reads these as cutoffs.
        public var periods: [Timestamp]
        public var holdoutStart: Timestamp
        public var sha256: String
        public var summary: FeatureJoin.Summary
    }

    /// Every readable row with its features and label, in input order (`cutoffs` holds each row's
    /// own time), the file's SHA-256, and what the join read and refused.
    public func answered(set: FeatureSet, store: Store) throws -> (data: TrainingSet, sha256: String, summary: FeatureJoin.Summary) {
        // The model records which file it learnt from, so the rows must be a file that can be hashed.
        guard path != "-" else { throw JoinError.badLabel(path, "labelled rows are read from a file, not standard input (their SHA-256 is recorded)") }
        let sha256 = try SHA256Hex.of(file: path)
        let rows = try JoinRows(path: path, userColumn: userColumn, timeColumn: timeColumn)
        guard let labelIndex = rows.columns.firstIndex(of: label) else { throw JoinError.missingColumn(path, label, rows.columns) }
        var questions: [Int: (user: String, time: Int64, label: UInt8)] = [:]
        var join = FeatureJoin(set: set)
        join.asKnown = asKnown
        var features: [Int: [Double]] = [:]
        let width = set.featureNames.count
        let summary = try join.merge(
            rows: rows, store: store,
            keep: { row in
                let text = row.values[labelIndex]?.trimmingCharacters(in: .whitespaces) ?? ""
                let label: UInt8
                switch text.lowercased() {
                case "1", "1.0", "true": label = 1
                case "0", "0.0", "false": label = 0
                default:
                    throw JoinError.badLabel(path, "line \(row.line): the label column \(self.label) holds `\(Rejection.clip(text))`; a label is 0 or 1")
                }
                questions[row.number] = (row.user, row.time.microseconds, label)
                return Int64(row.number)
            },
            answer: { row, values in features[Int(row)] = values ?? [Double](repeating: .nan, count: width) })
        guard !questions.isEmpty else { throw JoinError.emptyRows(path) }
        var data = TrainingSet(featureNames: set.featureNames)
        for number in questions.keys.sorted() {
            let q = questions[number]!
            data.users.append(q.user)
            data.cutoffs.append(q.time)
            data.features += features[number]!
            data.labels.append(q.label)
        }
        return (data, sha256, summary)
    }

    /// Reads the rows, answers their features, and splits them.
    public func load(set: FeatureSet, store: Store, holdout: Holdout) throws -> Loaded {
        var (data, sha256, summary) = try answered(set: set, store: store)
        let times = data.cutoffs.sorted()
        let start: Int64
        switch holdout {
        case .from(let time): start = time.microseconds
        case .share(let share):
            start = times[min(times.count - 1, max(0, Int((Double(times.count) * (1 - share)).rounded(.down))))]
        }
        let training = times.filter { $0 < start }
        guard !training.isEmpty, times.last! >= start else {
            throw JoinError.badLabel(
                path, "no rows on one side of the holdout start \(Timestamp(microseconds: start)); choose another --holdout-from or --holdout-share")
        }
        // The newest fifth of the training rows by time (rows of one time stay together): a period
        // of its own, which calibration may use.
        let calibrationStart = training[Int(Double(training.count) * 0.8)]
        let periods = Array(Set([training[0], calibrationStart, start])).sorted().map(Timestamp.init(microseconds:))
        data.cutoffs = data.cutoffs.map { $0 >= start ? start : ($0 >= calibrationStart ? calibrationStart : training[0]) }
        return Loaded(data: data, periods: periods, holdoutStart: Timestamp(microseconds: start), sha256: sha256, summary: summary)
    }
}
