import NIOCore
import NIOHTTP1
import RecurCore
import Testing

@testable import RecurServer

@Suite struct HTTPAnswerTests {
    func text(_ answer: HTTPAnswer, version: HTTPVersion = .http1_1, keepAlive: Bool = true, headOnly: Bool = false) -> String {
        var out = ByteBufferAllocator().buffer(capacity: 64)
        answer.write(version: version, keepAlive: keepAlive, headOnly: headOnly, into: &out)
        return out.readString(length: out.readableBytes) ?? ""
    }

    @Test func anAnswerIsAStatusLineHeadersAndItsBodyWithTheRightLength() {
        let answer = HTTPAnswer(status: .ok, body: Array("{\"a\":1}".utf8))
        #expect(text(answer) == "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\n\r\n{\"a\":1}")
        #expect(
            text(answer, version: .http1_0)
                == "HTTP/1.0 200 OK\r\ncontent-type: application/json\r\ncontent-length: 7\r\nconnection: keep-alive\r\n\r\n{\"a\":1}")
        #expect(text(answer, keepAlive: false).hasSuffix("content-length: 7\r\nconnection: close\r\n\r\n{\"a\":1}"))
        #expect(text(answer, headOnly: true).hasSuffix("content-length: 7\r\n\r\n"), "HEAD gets the length but no body")
        let refused = text(.error(.unauthorized, "NOAUTH", "a \"quoted\" word"))
        #expect(refused.hasPrefix("HTTP/1.1 401 Unauthorized\r\n") && refused.contains("\r\nWWW-Authenticate: Bearer\r\n"))
        #expect(refused.hasSuffix("\r\n\r\n{\"error\":{\"code\":\"NOAUTH\",\"message\":\"a \\\"quoted\\\" word\"}}"))
    }

    @Test func nestedJSONHasCommasOnlyBetweenSiblings() {
        var json = JSONWriter()
        json.beginObject()
        json.field("a", 1)
        json.key("b")
        json.beginArray()
        json.beginObject()
        json.endObject()
        json.beginObject()
        json.field("c", true)
        json.endObject()
        json.endArray()
        json.key("d")
        json.beginObject()
        json.endObject()
        json.field("e", "x")
        json.endObject()
        #expect(String(decoding: json.bytes, as: UTF8.self) == "{\"a\":1,\"b\":[{},{\"c\":true}],\"d\":{},\"e\":\"x\"}")
    }

    @Test func percentEscapesDecodeAndMalformedOnesAreRefused() {
        #expect(HTTPTarget.decoded("000000000042") == "000000000042")
        #expect(HTTPTarget.decoded("nobody%20at%20all") == "nobody at all")
        #expect(HTTPTarget.decoded("caf%C3%A9") == "café")
        #expect(HTTPTarget.decoded("a+b") == "a+b", "a plus is a plus in a path")
        #expect(HTTPTarget.decoded("a+b%2B", plusIsSpace: true) == "a b+", "in a query a plus is a space and %2B a plus")
        for malformed in ["100%", "%zz1", "%C3", "%FF%FE", "a%00b", "%0"] {
            #expect(HTTPTarget.decoded(Substring(malformed)) == nil, "\(malformed)")
            #expect(HTTPTarget("/v1/score/\(malformed)").problem != nil, "\(malformed)")
            #expect(HTTPTarget("/v1/score/u?at=\(malformed)").problem != nil, "\(malformed)")
        }
        let target = HTTPTarget("/v1/score/u%2F1?at=2025-01-01+10%3A00&model=v3&flag&=x")
        #expect(target.path == "/v1/score/u%2F1" && target.segments == ["v1", "score", "u/1"] && target.problem == nil)
        #expect(target.query == ["at": "2025-01-01 10:00", "model": "v3", "flag": "", "": "x"], "\(target.query)")
        #expect(HTTPTarget("/v1/score/u?at=2025-01-01&at=2025-02-01").problem?.contains("twice") == true)
        #expect(HTTPTarget("/").segments == [""] && HTTPTarget("").segments == [] && HTTPTarget("?a=1").query == ["a": "1"])
    }
}
