/// What a shopper did: looked at a product, put it in the cart, bought, or got money back.
public enum EventType: String, Sendable, Hashable, Codable, CaseIterable {
    case view, cart, purchase, refund

    /// Whether the event must carry an amount of money.
    public var requiresAmount: Bool { self == .purchase || self == .refund }
}

/// The canonical event every input is mapped onto; one row of the `events` table.
public struct Event: Sendable, Hashable, Codable {
    /// Unique per event; derived from the source and the row when the source has none, so re-imports dedupe.
    public var eventID: String
    public var userID: String
    /// Event time, UTC.
    public var timestamp: Timestamp
    public var type: EventType
    /// Money, never negative; required for purchases and refunds (a refund's amount is what was paid back).
    public var amount: Double?
    /// The largest amount one event may carry: a trillion, past any real order, and small enough that
    /// `events.amount` (numeric(18, 4)) and a user's sums in cents hold ninety thousand of them.
    public static let largestAmount = 1e12

    /// The most UTF-8 bytes a text field may hold: a user id up to 1 KiB (the server's limit too),
    /// the other ids and labels 256.
    public static func longestField(_ field: CanonicalField) -> Int { field == .userID ? 1_024 : 256 }
    public var quantity: Int
    public var productID: String?
    public var sessionID: String?
    public var category: String?
    public var device: String?

    public init(
        eventID: String, userID: String, timestamp: Timestamp, type: EventType, amount: Double? = nil,
        quantity: Int = 1, productID: String? = nil, sessionID: String? = nil, category: String? = nil,
        device: String? = nil
    ) {
        self.eventID = eventID
        self.userID = userID
        self.timestamp = timestamp
        self.type = type
        self.amount = amount
        self.quantity = quantity
        self.productID = productID
        self.sessionID = sessionID
        self.category = category
        self.device = device
    }
}
