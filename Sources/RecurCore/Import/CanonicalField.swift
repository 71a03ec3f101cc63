/// A field of the canonical event, with the names it goes by in the wild.
public enum CanonicalField: String, Sendable, CaseIterable, Hashable {
    case eventID = "event_id", userID = "user_id", timestamp = "ts", eventType = "event_type"
    case amount, price, quantity
    case productID = "product_id", sessionID = "session_id", category, device
    /// An order or invoice number: not unique per row; an invoice starting with `C` marks a cancellation.
    case order = "order_id"

    /// A dense index for table lookups.
    var ordinal: Int {
        switch self {
        case .eventID: 0
        case .userID: 1
        case .timestamp: 2
        case .eventType: 3
        case .amount: 4
        case .price: 5
        case .quantity: 6
        case .productID: 7
        case .sessionID: 8
        case .category: 9
        case .device: 10
        case .order: 11
        }
    }

    /// Lower-cased letters and digits only, so `Customer ID`, `customer_id` and `customerId` all match.
    public static func normalize(_ name: String) -> String {
        String(String.UnicodeScalarView(name.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) }))
    }

    /// The field a column name means, by its canonical name or a known alias.
    public static func matching(_ name: String) -> CanonicalField? { aliases[name] ?? aliases[normalize(name)] }

    static let aliases: [String: CanonicalField] = {
        let table: [CanonicalField: [String]] = [
            .eventID: ["eventid", "eventuuid", "uuid", "messageid"],
            .userID: [
                "userid", "user", "customerid", "customer", "customerno", "clientid", "client", "visitorid", "visitor",
                "memberid", "accountid", "buyerid", "shopperid", "uid"
            ],
            .timestamp: [
                "ts", "timestamp", "eventtime", "eventtimestamp", "time", "date", "datetime", "invoicedate", "orderdate",
                "createdat", "purchasedate", "transactiondate", "occurredat", "eventdate"
            ],
            .eventType: ["eventtype", "type", "event", "action", "eventname", "behavior", "behaviour", "activity"],
            .amount: [
                "amount", "revenue", "total", "totalamount", "value", "sales", "totalprice", "amountpaid", "spend",
                "monetary", "monetaryvalue", "ordertotal", "linetotal"
            ],
            .price: ["price", "unitprice", "itemprice", "priceeach"],
            .quantity: ["quantity", "qty", "units", "itemcount", "numitems", "quantityordered"],
            .productID: ["productid", "product", "itemid", "item", "sku", "stockcode", "articleid", "article", "productcode"],
            .sessionID: ["sessionid", "session", "usersession", "visitid"],
            .category: ["category", "categorycode", "categoryname", "productcategory", "categoryid"],
            .device: ["device", "devicetype", "platform", "channel"],
            .order: [
                "orderid", "order", "ordernumber", "orderno", "transactionid", "transaction", "invoice", "invoiceno",
                "invoiceid", "invoicenumber", "receiptid"
            ]
        ]
        var aliases = [String: CanonicalField]()
        for (field, names) in table {
            aliases[normalize(field.rawValue)] = field
            for name in names { aliases[name] = field }
        }
        return aliases
    }()
}

extension EventType {
    /// The event type a source's value means: `add_to_cart`, `buy`, `click`, `return`, … .
    // Most values are already a canonical alias, and normalizing costs more than the lookup.
    public static func matching(_ text: String) -> EventType? { aliases[text] ?? aliases[CanonicalField.normalize(text)] }

    static let aliases: [String: EventType] = {
        let table: [EventType: [String]] = [
            .view: ["view", "views", "pageview", "productview", "detail", "click", "visit", "impression", "viewitem", "viewed"],
            .cart: ["cart", "addtocart", "addtobasket", "basket", "addtocartevent", "add", "carted", "addtocartitem"],
            .purchase: ["purchase", "buy", "order", "transaction", "checkout", "sale", "purchased", "completedorder", "bought"],
            .refund: ["refund", "return", "returned", "cancel", "cancellation", "cancelled", "canceled", "chargeback", "refunded"]
        ]
        var aliases = [String: EventType]()
        for (type, names) in table { for name in names { aliases[name] = type } }
        return aliases
    }()
}
