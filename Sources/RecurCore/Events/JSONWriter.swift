/// Builds the HTTP API's JSON bodies by appending bytes: a score answer costs no encoder and no
/// intermediate dictionary. Doubles are written in their shortest round-trip form, so a client
/// reads back bit for bit the probability the model computed; non-finite numbers become null.
public struct JSONWriter: Sendable {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next value or key follows a sibling. No stack is needed: a closed container is
    /// itself a value, so its parent always needs a comma next.
    private var needsComma = false

    public init(capacity: Int = 128) { bytes.reserveCapacity(capacity) }

    public mutating func beginObject() { separate(); bytes.append(UInt8(ascii: "{")); needsComma = false }
    public mutating func endObject() { bytes.append(UInt8(ascii: "}")); needsComma = true }
    public mutating func beginArray() { separate(); bytes.append(UInt8(ascii: "[")); needsComma = false }
    public mutating func endArray() { bytes.append(UInt8(ascii: "]")); needsComma = true }

    /// The key of the next value in an object.
    public mutating func key(_ name: String) {
        separate()
        EventJSON.quoted(name, &bytes)
        bytes.append(UInt8(ascii: ":"))
        needsComma = false
    }

    public mutating func string(_ value: String) { separate(); EventJSON.quoted(value, &bytes) }
    public mutating func number(_ value: Double) { separate(); bytes.append(contentsOf: (value.isFinite ? "\(value)" : "null").utf8) }
    public mutating func integer(_ value: Int) { separate(); bytes.append(contentsOf: String(value).utf8) }
    public mutating func bool(_ value: Bool) { separate(); bytes.append(contentsOf: (value ? "true" : "false").utf8) }
    /// A number PostgreSQL wrote as text (bigint, numeric): copied as it is, so no digit is lost.
    public mutating func number(text: String) { separate(); bytes.append(contentsOf: text.utf8) }
    /// A value written elsewhere by another writer, copied in whole.
    public mutating func raw(_ value: [UInt8]) { separate(); bytes.append(contentsOf: value) }
    public mutating func null() { separate(); bytes.append(contentsOf: "null".utf8) }

    public mutating func field(_ name: String, _ value: String) { key(name); string(value) }
    public mutating func field(_ name: String, _ value: Double) { key(name); number(value) }
    public mutating func field(_ name: String, _ value: Int) { key(name); integer(value) }
    public mutating func field(_ name: String, _ value: Bool) { key(name); bool(value) }

    private mutating func separate() {
        if needsComma { bytes.append(UInt8(ascii: ",")) }
        needsComma = true
    }
}
