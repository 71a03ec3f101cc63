/// What one import did: counts per file, reasons for rejections, and notes worth reading.
public struct ImportSummary: Sendable {
    public var source: String
    /// Records read, rejected ones included; blank lines and the header are not counted.
    public var read = 0
    public var loaded = 0
    public var duplicates = 0
    public var rejected = 0
    public var seconds = 0.0
    public var rejectionsByKind: [String: Int] = [:]
    public var notes: [String] = []

    public init(source: String) { self.source = source }

    public var rowsPerSecond: Double { seconds > 0 ? Double(read) / seconds : 0 }

    public static func + (a: ImportSummary, b: ImportSummary) -> ImportSummary {
        var total = a
        total.source = "total"
        total.read += b.read
        total.loaded += b.loaded
        total.duplicates += b.duplicates
        total.rejected += b.rejected
        total.seconds += b.seconds
        total.rejectionsByKind.merge(b.rejectionsByKind, uniquingKeysWith: +)
        total.notes += b.notes
        return total
    }
}

/// Where an import is, reported a few times a second for a progress bar.
public struct ImportProgress: Sendable {
    public var source: String
    public var rowsRead: Int
    public var bytesConsumed: Int64
    public var totalBytes: Int64?
}
