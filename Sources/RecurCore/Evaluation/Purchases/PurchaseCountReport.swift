import Foundation

/// How buy-till-you-die models' expected purchases and a spend model's expected spend meet what
/// happened in the horizon: each model's mean absolute error, and the table of actual against
/// expected purchases by past frequency that Fader and Hardie plot.
public struct PurchaseCountReport: Sendable, Codable, Equatable {
    /// One buy-till-you-die model's error over every row.
    public struct ModelFit: Sendable, Codable, Equatable {
        public var model: String
        public var mae: Double
        public var meanExpected: Double

        enum CodingKeys: String, CodingKey { case model, mae, meanExpected = "mean_expected" }
    }

    /// The rows whose past repeat purchase days fall in one bucket: their mean actual and, per model, mean expected purchases.
    public struct FrequencyRow: Sendable, Codable, Equatable {
        public var frequency: String
        public var rows: Int
        public var actual: Double
        /// In the order of `models`.
        public var expected: [Double]
    }

    /// A spend model's error on the users who bought in the horizon: expected against actual spend per purchase day.
    public struct SpendFit: Sendable, Codable, Equatable {
        public var model: String
        public var rows: Int
        public var mae: Double
        public var meanActual: Double
        public var meanExpected: Double

        enum CodingKeys: String, CodingKey { case model, rows, mae, meanActual = "mean_actual", meanExpected = "mean_expected" }
    }

    /// Purchases are counted as distinct purchase days, as the models count them.
    public var unit = "purchase days in the horizon"
    public var rows: Int
    public var meanActual: Double
    public var models: [ModelFit]
    public var byFrequency: [FrequencyRow]
    public var spend: SpendFit?

    enum CodingKeys: String, CodingKey { case unit, rows, meanActual = "mean_actual", models, byFrequency = "by_frequency", spend }

    /// The past-frequency buckets: 0 to 6 repeat purchase days one by one, then 7 and more.
    static let largestBucket = 7

    /// Nil when no column was computed (no buy-till-you-die or spend model compared).
    public init?(columns: ExpectedColumns, actual: HorizonPurchases) {
        guard !columns.isEmpty, !actual.days.isEmpty else { return nil }
        let n = actual.days.count
        rows = n
        meanActual = actual.days.reduce(0, +) / Double(n)
        models = columns.purchases.map { column in
            let errors = zip(column.expected, actual.days).map { abs($0 - $1) }
            return ModelFit(model: column.model, mae: errors.reduce(0, +) / Double(n), meanExpected: column.expected.reduce(0, +) / Double(n))
        }
        byFrequency = []
        if let first = columns.purchases.first {
            var members = [[Int]](repeating: [], count: Self.largestBucket + 1)
            for (i, x) in first.pastFrequency.enumerated() { members[min(Self.largestBucket, Int(x))].append(i) }
            for (bucket, rows) in members.enumerated() where !rows.isEmpty {
                let mean = { (values: [Double]) in rows.reduce(0) { $0 + values[$1] } / Double(rows.count) }
                byFrequency.append(
                    FrequencyRow(
                        frequency: bucket == Self.largestBucket ? "\(bucket)+" : "\(bucket)", rows: rows.count, actual: mean(actual.days),
                        expected: columns.purchases.map { mean($0.expected) }))
            }
        }
        if let column = columns.spend {
            let buyers = (0..<n).filter { actual.days[$0] > 0 && column.expected[$0].isFinite }
            let count = Double(max(1, buyers.count))
            let spent = buyers.map { actual.amount[$0] / actual.days[$0] }
            let expected = buyers.map { column.expected[$0] }
            spend = SpendFit(
                model: column.model, rows: buyers.count, mae: zip(spent, expected).reduce(0) { $0 + abs($1.0 - $1.1) } / count,
                meanActual: spent.reduce(0, +) / count, meanExpected: expected.reduce(0, +) / count)
        }
    }

    /// The sentences above the table: each model's error, and the spend model's.
    public var summary: [String] {
        var out = ["Expected purchases (\(unit)) on \(rows) rows, mean actual \(Self.f(meanActual)):"]
        for m in models { out.append("\(m.model): MAE \(Self.f(m.mae)), mean expected \(Self.f(m.meanExpected))") }
        if let s = spend {
            out.append(
                "Spend per purchase day (\(s.model)) on the \(s.rows) users who bought in the horizon: MAE \(Self.f(s.mae)), "
                    + "mean actual \(Self.f(s.meanActual)), mean expected \(Self.f(s.meanExpected))")
        }
        return out
    }

    /// Actual against expected by past frequency: a header row, then one row per bucket.
    public var table: [[String]] {
        guard !byFrequency.isEmpty else { return [] }
        return [["past repeat purchase days", "rows", "actual"] + models.map { "\($0.model) expected" }]
            + byFrequency.map { [$0.frequency, "\($0.rows)", Self.f($0.actual)] + $0.expected.map(Self.f) }
    }

    static func f(_ v: Double) -> String { String(format: "%.4f", v) }
}
