import Testing

@testable import RecurServer

@Suite struct FrameParserTests {
    let parser = FrameParser()

    func parse(_ text: String) -> FrameParser.Outcome {
        Array(text.utf8).withUnsafeBytes { parser.parse($0) }
    }

    @Test func plainLinesSplitIntoWords() {
        #expect(parse("SCORE u1\r\n") == .request(Request(words: ["SCORE", "u1"], resp: false), consumed: 10))
        #expect(parse("PING\n") == .request(Request(words: ["PING"], resp: false), consumed: 5))
        #expect(parse("SCORE  u1   AT 2025-01-01\n") == .request(Request(words: ["SCORE", "u1", "AT", "2025-01-01"], resp: false), consumed: 26))
        #expect(parse("SCORE u1") == .incomplete)
        #expect(parse("\n") == .request(Request(words: [], resp: false), consumed: 1))
    }

    @Test func respArraysOfBulkStrings() {
        let text = "*2\r\n$5\r\nSCORE\r\n$3\r\nu 1\r\n"
        #expect(parse(text) == .request(Request(words: ["SCORE", "u 1"], resp: true), consumed: text.utf8.count))
        let bytes = Array(text.utf8)
        for cut in 1..<bytes.count {
            #expect(Array(bytes.prefix(cut)).withUnsafeBytes { parser.parse($0) } == .incomplete, "prefix \(cut)")
        }
    }

    @Test func badInputIsRejectedWithoutTrapping() {
        guard case .invalid(let e1, _) = parse("*x\r\n"), e1.fatal else { Issue.record("bad array length"); return }
        guard case .invalid(let e2, _) = parse("*1\r\n+OK\r\n"), e2.fatal else { Issue.record("not a bulk string"); return }
        guard case .invalid(let e3, _) = parse("*1\r\n$999999999\r\n"), e3.fatal else { Issue.record("huge bulk"); return }
        let invalidUTF8: [UInt8] = Array("SCORE ".utf8) + [0xFF, 0xFE, 10]
        guard case .invalid(let e5, let used) = invalidUTF8.withUnsafeBytes({ parser.parse($0) }), !e5.fatal, used == invalidUTF8.count else {
            Issue.record("invalid UTF-8 should be a recoverable error"); return
        }
        let long = String(repeating: "a", count: 70_000)
        guard case .invalid(let e6, _) = parse(long), e6.fatal else { Issue.record("oversized line without newline"); return }
    }

    @Test func aBulkStringThatIsNotUTF8KeepsItsRawBytes() {
        let raw = [UInt8](repeating: 0xFF, count: 200)
        let bytes = Array("*2\r\n$4\r\nECHO\r\n$200\r\n".utf8) + raw + [13, 10]
        guard case .request(let request, let consumed) = bytes.withUnsafeBytes({ parser.parse($0) }) else {
            Issue.record("a binary bulk string is a request"); return
        }
        #expect(consumed == bytes.count)
        #expect(request.binary == [Array("ECHO".utf8), raw])
        #expect(request.words[1].utf8.count == 600, "each bad byte is shown as U+FFFD")
    }

    @Test func randomBytesNeverTrapAndAlwaysMakeProgress() {
        var state: UInt64 = 0x1234_5678
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        let alphabet = Array("*$\r\n0123456789-SCOREPING ab".utf8) + [0, 0xFF, 0xC3]
        for _ in 0..<20_000 {
            let length = Int(next() % 64)
            let bytes = (0..<length).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            switch bytes.withUnsafeBytes({ parser.parse($0) }) {
            case .request(_, let consumed): #expect(consumed > 0 && consumed <= bytes.count)
            case .invalid(let error, let consumed): #expect(error.fatal || (consumed > 0 && consumed <= bytes.count))
            case .incomplete: break
            }
        }
    }
}
