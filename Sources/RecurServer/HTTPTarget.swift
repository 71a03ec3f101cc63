/// A request target as the HTTP routes read it: the path's segments and the query's parameters,
/// percent-decoded. Pure and free of NIO, so that it can be fuzzed on its own.
struct HTTPTarget: Equatable, Sendable {
    /// The path as sent, for messages.
    var path: String
    /// The path's segments after the leading `/`, each decoded (so `u%2F1` is one segment, `u/1`).
    var segments: [String]
    /// Decoded query parameters (`+` is a space, as forms send it); a key given twice is a `problem`.
    var query: [String: String]
    /// Why the target cannot be answered (a malformed escape, `%00`, bytes that are not UTF-8, a
    /// parameter given twice); nil when it reads cleanly. Never guessed around: the routes refuse it.
    var problem: String?

    init(_ uri: String) {
        let mark = uri.utf8.firstIndex(of: UInt8(ascii: "?"))
        path = String(uri[..<(mark ?? uri.endIndex)])
        var problem: String?
        segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map {
            guard let segment = Self.decoded(Substring($0)) else {
                problem = problem ?? "the path segment \(String(Substring($0)).prefix(40)) is not valid percent-encoded UTF-8 (or holds %00)"
                return String(Substring($0))
            }
            return segment
        }
        query = [:]
        if let mark {
            for pair in uri[uri.utf8.index(after: mark)...].utf8.split(separator: UInt8(ascii: "&")) {
                let raw = pair.split(separator: UInt8(ascii: "="), maxSplits: 1, omittingEmptySubsequences: false)
                let parts = raw.map { Self.decoded(Substring($0), plusIsSpace: true) }
                guard let key = parts[0], parts.allSatisfy({ $0 != nil }) else {
                    problem = problem ?? "the query parameter \(String(Substring(pair)).prefix(40)) is not valid percent-encoded UTF-8 (or holds %00)"
                    continue
                }
                if query[key] != nil { problem = problem ?? "the query parameter \(key.prefix(40)) is given twice" }
                query[key] = parts.count > 1 ? parts[1]! : ""
            }
        }
        self.problem = problem
    }

    /// `text` with its `%XX` escapes decoded (and `+` as a space, in a query); nil when an escape is
    /// malformed, decodes to NUL, or the bytes are not UTF-8. Most ids need no decoding and are
    /// returned as they are: Foundation's `removingPercentEncoding` cost an eighth of a request.
    static func decoded(_ text: Substring, plusIsSpace: Bool = false) -> String? {
        let percent = UInt8(ascii: "%"), plus = UInt8(ascii: "+")
        let utf8 = text.utf8
        guard utf8.contains(where: { $0 == percent || (plusIsSpace && $0 == plus) }) else { return String(text) }
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
            default: nil
            }
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(utf8.count)
        var index = utf8.startIndex
        while index != utf8.endIndex {
            let byte = utf8[index]
            index = utf8.index(after: index)
            if byte == percent {
                guard index != utf8.endIndex, let high = hex(utf8[index]) else { return nil }
                index = utf8.index(after: index)
                guard index != utf8.endIndex, let low = hex(utf8[index]) else { return nil }
                index = utf8.index(after: index)
                guard high | low != 0 else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(plusIsSpace && byte == plus ? UInt8(ascii: " ") : byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}
