/// Row-major feature rows that a trainer reads front to back, one batch at a time: held in memory
/// or spilled to disk, so that a fit holds a batch and what it sums rather than every row.
public protocol FeatureRows {
    /// How many rows.
    var rowCount: Int { get }
    /// Values per row.
    var width: Int { get }
    /// Calls `body` with each batch's first row number and its rows' values (a whole number of rows,
    /// at most `maxRows`), in row order.
    func forEachBatch(maxRows: Int, _ body: (_ first: Int, _ values: UnsafeBufferPointer<Double>) throws -> Void) throws
}

extension FeatureRows {
    /// Rows per batch when a caller has no reason to choose: about 4 MiB of 45 features.
    public static var batchRows: Int { 10_000 }

    /// Every row in one array, row-major: for the fits that need them all at once.
    public func materialized() throws -> [Double] {
        var all = [Double]()
        all.reserveCapacity(rowCount * width)
        try forEachBatch(maxRows: Self.batchRows) { _, values in all.append(contentsOf: values) }
        return all
    }
}

/// Rows already in one row-major array.
public struct InMemoryRows: FeatureRows, Sendable {
    public let values: [Double]
    public let rowCount: Int
    public let width: Int

    public init(values: [Double], rows: Int, width: Int) {
        precondition(values.count == rows * width)
        self.values = values
        rowCount = rows
        self.width = width
    }

    public func forEachBatch(maxRows: Int, _ body: (Int, UnsafeBufferPointer<Double>) throws -> Void) throws {
        try values.withUnsafeBufferPointer { all in
            var first = 0
            let step = max(1, maxRows)
            while first < rowCount {
                let count = min(step, rowCount - first)
                try body(first, UnsafeBufferPointer(rebasing: all[(first * width)..<((first + count) * width)]))
                first += count
            }
        }
    }
}
