/// Writes a canonical event as one JSON object, the shape `recur stream` and `events import` read back.
public enum EventJSON {
    public static func encode(_ event: Event) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(200)
        out.append(UInt8(ascii: "{"))
        field("event_id", event.eventID, &out, first: true)
        field("user_id", event.userID, &out)
        field("ts", event.timestamp.iso8601, &out)
        field("event_type", event.type.rawValue, &out)
        if let amount = event.amount { raw("amount", EventLoader.decimal(amount), &out) }
        raw("quantity", String(event.quantity), &out)
        if let value = event.productID { field("product_id", value, &out) }
        if let value = event.sessionID { field("session_id", value, &out) }
        if let value = event.category { field("category", value, &out) }
        if let value = event.device { field("device", value, &out) }
        out.append(UInt8(ascii: "}"))
        return out
    }

    private static func raw(_ key: String, _ value: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: ","))
        quoted(key, &out)
        out.append(UInt8(ascii: ":"))
        out.append(contentsOf: value.utf8)
    }

    private static func field(_ key: String, _ value: String, _ out: inout [UInt8], first: Bool = false) {
        if !first { out.append(UInt8(ascii: ",")) }
        quoted(key, &out)
        out.append(UInt8(ascii: ":"))
        quoted(value, &out)
    }

    /// A JSON string: quotes, backslashes and control characters escaped; other UTF-8 as it is.
    public static func quoted(_ text: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\")); out.append(byte)
            case 10: out.append(contentsOf: [92, 110])
            case 13: out.append(contentsOf: [92, 114])
            case 9: out.append(contentsOf: [92, 116])
            case 0..<32: out.append(contentsOf: [92, 117, 48, 48, 48 + byte >> 4, byte & 15 < 10 ? 48 + byte & 15 : 87 + byte & 15])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
