// libFuzzer entry for the JSON Lines reader (built by scripts/fuzz.sh, not part of the package).
// Runs arbitrary bytes through both readers: `parse` (every pair as text) and `scan` (only asked-for
// keys, values skipped otherwise). They must accept and refuse the same records, and where both
// accept, every key `scan` fills must hold what `parse` gave for it (the last one, for a repeated key).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSONLineParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let parsed = try? JSONLineParser.parse(bytes)
    // Ask for every other distinct key, in the order first seen.
    var asked = [String: Int]()
    let capacity = 64
    var values = [JSONLineParser.Value?](repeating: nil, count: capacity)
    var seen = 0
    let scanned: Void? = try? JSONLineParser.scan(bytes, into: &values) { key, _ in
        let name = String(decoding: key, as: UTF8.self)
        if let slot = asked[name] { return slot }
        seen += 1
        guard seen % 2 == 1, asked.count < capacity else { return -1 }
        asked[name] = asked.count
        return asked[name]!
    }
    precondition((parsed == nil) == (scanned == nil), "parse and scan disagree on whether the record is valid")
    guard let parsed else { return 0 }
    for (name, slot) in asked {
        guard let last = parsed.last(where: { $0.key == name }) else { preconditionFailure("scan saw a key parse did not: \(name)") }
        switch values[slot] {
        case .text(let text)?:
            precondition(last.value == text, "value of \(name) differs")
        case .null?:
            precondition(last.value == nil, "null of \(name) differs")
        case .nested?:
            // Bytes, not Characters: a combining mark after the brace makes "{̚" one Character.
            precondition(last.value?.utf8.first == UInt8(ascii: "{") || last.value?.utf8.first == UInt8(ascii: "["), "nested \(name) differs")
        case nil:
            preconditionFailure("scan did not fill \(name)")
        }
    }
    return 0
}
