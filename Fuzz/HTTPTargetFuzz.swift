// libFuzzer entry for the HTTP request target (built by scripts/fuzz.sh, not part of the package).
// Feeds arbitrary bytes as a target through HTTPTarget and checks what the routes rely on: text
// without escapes comes back unchanged, and any text percent-encoded byte by byte decodes back to itself
// (or is refused, when it holds NUL).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let target = HTTPTarget(text)
    precondition(target.path.utf8.count <= text.utf8.count, "the path is part of the target")
    precondition(target.segments.count == max(0, target.path.utf8.filter { $0 == UInt8(ascii: "/") }.count), "one segment per slash")
    let plain = Substring(text)
    if !text.utf8.contains(UInt8(ascii: "%")) {
        precondition(HTTPTarget.decoded(plain) == text, "text without escapes is returned as it is")
    }
    var encoded = ""
    for byte in text.utf8 {
        let digits = Array("0123456789ABCDEF")
        encoded.append("%")
        encoded.append(digits[Int(byte >> 4)])
        encoded.append(digits[Int(byte & 15)])
    }
    // %00 is refused (no id or time holds NUL); any other text escaped byte by byte decodes back.
    let expected: String? = text.utf8.contains(0) ? nil : text
    precondition(HTTPTarget.decoded(Substring(encoded)) == expected, "escaped bytes decode back to the text")
    precondition(HTTPTarget.decoded(Substring(encoded), plusIsSpace: true) == expected, "escaped plus signs stay plus signs")
    return 0
}
