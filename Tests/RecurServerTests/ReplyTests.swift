import NIOCore
import Testing

@testable import RecurServer

@Suite struct ReplyTests {
    func bytes(_ reply: Reply, _ encoding: ReplyEncoding) -> String {
        var buffer = ByteBuffer()
        reply.write(encoding, into: &buffer)
        return String(buffer: buffer)
    }

    @Test func structuredRepliesTakeEachProtocolsShape() {
        let map = Reply.map([("proto", .integer(3)), ("name", .text("x")), ("none", .null), ("p", .double(0.25)), ("ok", .boolean(true))])
        #expect(bytes(map, .resp3) == "%5\r\n$5\r\nproto\r\n:3\r\n$4\r\nname\r\n$1\r\nx\r\n$4\r\nnone\r\n_\r\n$1\r\np\r\n,0.25\r\n$2\r\nok\r\n#t\r\n")
        #expect(bytes(map, .resp2) == "*10\r\n$5\r\nproto\r\n:3\r\n$4\r\nname\r\n$1\r\nx\r\n$4\r\nnone\r\n$-1\r\n$1\r\np\r\n$4\r\n0.25\r\n$2\r\nok\r\n:1\r\n")
        #expect(bytes(map, .plain) == "proto=3 name=x none=(nil) p=0.25 ok=true\n")
        #expect(bytes(.array([.integer(1), .array([]), .simple("fast")]), .resp3) == "*3\r\n:1\r\n*0\r\n+fast\r\n")
        #expect(bytes(.map([]), .resp3) == "%0\r\n")
        #expect(bytes(.map([]), .resp2) == "*0\r\n")
        #expect(bytes(.double(.infinity), .resp3) == ",inf\r\n")
        #expect(bytes(.double(-.infinity), .resp2) == "$4\r\n-inf\r\n")
        #expect(bytes(.bytes([0xFF, 0x00, 0x41]), .resp2) == String(decoding: Array("$3\r\n".utf8) + [0xFF, 0x00, 0x41] + Array("\r\n".utf8), as: UTF8.self))
    }

    @Test func errorsKeepRedisCodesFirstAndStayOnOneLine() {
        #expect(bytes(.error(code: "NOAUTH", message: "authentication required"), .resp2) == "-NOAUTH authentication required\r\n")
        #expect(bytes(.error(code: "WRONGPASS", message: "invalid"), .resp3) == "-WRONGPASS invalid\r\n")
        #expect(bytes(.error(code: "UNKNOWN_COMMAND", message: "FLY"), .resp2) == "-ERR UNKNOWN_COMMAND FLY\r\n")
        #expect(bytes(.error(code: "NOAUTH", message: "a\r\nb"), .plain) == "ERR NOAUTH a b\n")
        #expect(bytes(.text("# Server\r\nredis_version:7.2.0\r\n"), .plain) == "# Server redis_version:7.2.0\n")
    }
}
