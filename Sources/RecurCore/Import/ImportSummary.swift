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
    /// Event type names neither mapped nor known, with how often each came (rejected or skipped).
    public var unknownTypes: [String: Int] = [:]
    /// Records of an unknown type dropped under `--unknown-events skip`.
    public var skipped = 0
    public var notes: [String] = []

    public init(source: String) { self.source = source }

    /// The flag that would map the unknown types seen, e.g. `--event-map search=view,home=view`.
    public var suggestedEventMap: String? {
        guard !unknownTypes.isEmpty else { return nil }
        let names = unknownTypes.sorted { $0.value > $1.value }.prefix(8).map { "\($0.key)=view" }
        return "--event-map " + names.joined(separator: ",")
    }

    public var rowsPerSecond: Double { seconds > 0 ? Double(read) / seconds : 0 }

    /// Counts one refused record under its reason (a skipped type is counted apart: it is not a rejection).
    public mutating func count(_ rejection: Rejection) {
        switch rejection {
        case .skippedEventType(let name):
            skipped += 1
            unknownTypes[Rejection.clip(name), default: 0] += 1
            return
        case .unknownEventType(let name):
            unknownTypes[Rejection.clip(name), default: 0] += 1
        default: break
        }
        rejected += 1
        rejectionsByKind[rejection.kind, default: 0] += 1
    }

    public static func + (a: ImportSummary, b: ImportSummary) -> ImportSummary {
        var total = a
        total.source = "total"
        total.read += b.read
        total.loaded += b.loaded
        total.duplicates += b.duplicates
        total.rejected += b.rejected
        total.seconds += b.seconds
        total.rejectionsByKind.merge(b.rejectionsByKind, uniquingKeysWith: +)
        total.unknownTypes.merge(b.unknownTypes, uniquingKeysWith: +)
        total.skipped += b.skipped
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
