// libFuzzer entry for the request framing (built by scripts/fuzz.sh, not part of the package).
// Feeds arbitrary bytes through FrameParser exactly as the server's decoder does and traps if the
// parser ever claims more bytes than it was given or stops making progress.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFrameParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var limits = FrameLimits()
    limits.maximumLineLength = 256
    limits.maximumBulkLength = 256
    limits.maximumArrayLength = 16
    let parser = FrameParser(limits: limits)
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    var offset = 0
    while offset < size {
        let rest = UnsafeRawBufferPointer(rebasing: bytes[offset...])
        switch parser.parse(rest) {
        case .incomplete:
            return 0
        case .request(let request, let consumed):
            precondition(consumed > 0 && consumed <= rest.count, "request consumed \(consumed) of \(rest.count)")
            // A word is at most one bulk string's bytes; one that is not UTF-8 is shown with U+FFFD
            // (three bytes) per bad byte, so the limit applies to its raw bytes.
            if let binary = request.binary {
                precondition(binary.count == request.words.count && binary.allSatisfy { $0.count <= 256 })
            } else {
                precondition(request.words.allSatisfy { $0.utf8.count <= 256 })
            }
            offset += consumed
        case .invalid(let error, let consumed):
            if error.fatal { return 0 }
            precondition(consumed > 0 && consumed <= rest.count, "error consumed \(consumed) of \(rest.count)")
            offset += consumed
        }
    }
    return 0
}
