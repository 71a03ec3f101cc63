/// A tumbling-window table of event counts and sums, kept up to date with every stored batch.
public struct Rollup: Sendable, Hashable, Codable {
    /// What a rollup's rows are keyed by, beside the window.
    public enum Grouping: String, Sendable, Hashable, Codable, CaseIterable {
        case user, product, category, device, all

        /// The `events` column, or nil for one row per window.
        var column: String? {
            switch self {
            case .user: "user_id"
            case .product: "product_id"
            case .category: "category"
            case .device: "device"
            case .all: nil
            }
        }
    }

    /// One column of a rollup.
    public enum Measure: String, Sendable, Hashable, Codable, CaseIterable {
        case events, views, carts, purchases, refunds, revenue, refunded, quantity, users, late, conversion

        /// Measures whose window value is the sum of its batches' values.
        var isAdditive: Bool { self != .users && self != .conversion }
    }

    public var name: String
    public var window: TimeSpan
    public var group: Grouping
    public var measures: [Measure]
    public var watermark: TimeSpan
    /// The window's start column: `window_start` unless the definition names it (`day`).
    public var timeColumn: String

    public init(name: String, window: TimeSpan, group: Grouping, measures: [Measure], watermark: TimeSpan, timeColumn: String = "window_start") {
        self.name = name
        self.window = window
        self.group = group
        self.measures = measures
        self.watermark = watermark
        self.timeColumn = timeColumn
    }

    /// The table's key columns, in order.
    var keyColumns: [String] { (group.column.map { [$0] } ?? []) + [timeColumn] }
}

/// The sessions table: a user's events with no gap longer than `gap`, kept whole as events arrive.
public struct SessionRollup: Sendable, Hashable, Codable {
    public var name: String
    /// The feature set whose session gap this uses, as NAME@VERSION.
    public var set: String
    public var gap: TimeSpan

    public init(name: String, set: String, gap: TimeSpan) {
        self.name = name
        self.set = set
        self.gap = gap
    }
}
