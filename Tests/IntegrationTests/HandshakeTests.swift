import Foundation
import Testing

@testable import RecurServer

/// A reply as a RESP2/RESP3 client reads it, for checking shapes rather than bytes.
indirect enum RESPValue: Equatable {
    case simple(String), error(String), integer(Int), bulk(String?), array([RESPValue]), map([(String, RESPValue)]), null, double(Double), boolean(Bool)

    static func == (a: RESPValue, b: RESPValue) -> Bool { "\(a)" == "\(b)" }

    var text: String? { if case .bulk(let s) = self { s } else if case .simple(let s) = self { s } else { nil } }
    func field(_ name: String) -> RESPValue? {
        if case .map(let pairs) = self { return pairs.first { $0.0 == name }?.1 }
        if case .array(let items) = self {
            return stride(from: 0, to: items.count - 1, by: 2).first { items[$0].text == name }.map { items[$0 + 1] }
        }
        return nil
    }
}

extension TestClient {
    /// Exactly `count` raw bytes; nil when the connection closed first.
    func bytes(_ count: Int) -> [UInt8]? {
        while buffer.count < count {
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { return nil }
            buffer += chunk[0..<n]
        }
        defer { buffer.removeFirst(count) }
        return Array(buffer.prefix(count))
    }

    func command(_ words: String...) -> RESPValue? {
        send(words.reduce("*\(words.count)\r\n") { $0 + "$\($1.utf8.count)\r\n\($1)\r\n" })
        return reply()
    }

    func reply() -> RESPValue? {
        guard let header = line(), let marker = header.first else { return nil }
        let rest = String(header.dropFirst())
        switch marker {
        case "+": return .simple(rest)
        case "-": return .error(rest)
        case ":": return Int(rest).map { .integer($0) }
        case "_": return .null
        case ",": return Double(rest).map { .double($0) }
        case "#": return .boolean(rest == "t")
        case "$":
            guard let length = Int(rest) else { return nil }
            if length < 0 { return .bulk(nil) }
            return bytes(length + 2).map { .bulk(String(decoding: $0.dropLast(2), as: UTF8.self)) }
        case "*", "%":
            guard let count = Int(rest) else { return nil }
            if marker == "*" { return .array((0..<count).compactMap { _ in reply() }) }
            return .map(
                (0..<count).compactMap { _ in
                    guard let key = reply()?.text, let value = reply() else { return nil }
                    return (key, value)
                })
        default: return nil
        }
    }
}

@Suite(.serialized) struct HandshakeTests {
    @Test func helloAuthSetnameAndRESP3RepliesAsRedisGivesThem() throws {
        let f = try ServerTests.fixture(authToken: "hs-token")
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: f.port)
        #expect(c.command("HELLO", "3")?.text == nil)
        guard case .error(let noauth) = c.command("SCORE", f.users[0]) else { Issue.record("SCORE before AUTH must fail"); return }
        #expect(noauth.hasPrefix("NOAUTH"))
        guard case .error(let wrong) = c.command("HELLO", "3", "AUTH", "default", "nope") else { Issue.record("wrong token"); return }
        #expect(wrong.hasPrefix("WRONGPASS"))
        guard case .error(let proto) = c.command("HELLO", "4") else { Issue.record("HELLO 4"); return }
        #expect(proto.hasPrefix("NOPROTO"))

        let hello = try #require(c.command("HELLO", "3", "AUTH", "default", "hs-token", "SETNAME", "app-1"))
        guard case .map = hello else { Issue.record("HELLO 3 answers with a RESP3 map, got \(hello)"); return }
        #expect(hello.field("proto") == .integer(3))
        #expect(hello.field("server")?.text == "redis")
        #expect(hello.field("mode")?.text == "standalone")
        guard case .integer(let id) = hello.field("id") else { Issue.record("id"); return }
        #expect(c.command("CLIENT", "ID") == .integer(id))
        #expect(c.command("CLIENT", "GETNAME")?.text == "app-1")
        #expect(c.command("CLIENT", "SETINFO", "LIB-NAME", "redis-py") == .simple("OK"))
        #expect(c.command("CLIENT", "SETINFO", "LIB-VER", "8.1.0") == .simple("OK"))
        guard case .error = c.command("CLIENT", "SETINFO", "LIB-NAME", "two words") else { Issue.record("a name with a space"); return }
        #expect(c.command("CLIENT", "INFO")?.text?.contains("lib-name=redis-py lib-ver=8.1.0") == true)
        guard case .error = c.command("CLIENT", "MAINT_NOTIFICATIONS", "ON") else { Issue.record("unknown CLIENT subcommand"); return }
        #expect(c.command("SELECT", "0") == .simple("OK"))
        guard case .error = c.command("SELECT", "1") else { Issue.record("SELECT 1"); return }
        #expect(c.command("ECHO", "hi there")?.text == "hi there")
        #expect(c.command("CONFIG", "GET", "save") == .map([]))
        #expect(c.command("COMMAND", "COUNT") == .integer(CommandCatalog.all.count))
        #expect(c.command("COMMAND", "DOCS", "score")?.field("score")?.field("summary")?.text?.isEmpty == false)
        guard case .array(let info) = c.command("COMMAND", "INFO", "mscore", "nothing"), info.count == 2, info[1] == .null else {
            Issue.record("COMMAND INFO"); return
        }
        let features = try #require(c.command("FEATURES", f.users[0]))
        guard case .map = features, case .double = features.field("purchase_count_all") else {
            Issue.record("FEATURES is a map of doubles in RESP3: \(features)"); return
        }
        #expect(c.command("FEATURES", "nobody")?.field("cold") == .boolean(true))
        #expect(c.command("CLIENT", "GETNAME", "extra")?.text == nil)
        let text = try #require(c.command("INFO")?.text)
        for field in [
            "redis_version:", "loading:0", "connected_clients:", "total_commands_processed:", "users_loaded:\(f.server.service.userCount)", "serving_model:v1"
        ] {
            #expect(text.contains(field), "INFO has \(field)")
        }
        #expect(c.command("INFO", "recur")?.text?.contains("redis_version") == false)
        // RESET: back to RESP2 and unauthenticated.
        #expect(c.command("RESET") == .simple("RESET"))
        guard case .error(let again) = c.command("SCORE", f.users[0]) else { Issue.record("SCORE after RESET"); return }
        #expect(again.hasPrefix("NOAUTH"))
        #expect(c.command("AUTH", "default", "hs-token") == .simple("OK"))
        guard case .array = c.command("HELLO") else { Issue.record("HELLO without a version answers in the current protocol (RESP2: an array)"); return }
    }

    @Test func multiExecQueuesAndAnswersEveryReplyTogether() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: f.port)
        let at = "2025-06-01T00:00:00Z"
        let expected = c.command("SCORE", f.users[0], "AT", at)
        #expect(c.command("MULTI") == .simple("OK"))
        #expect(c.command("SCORE", f.users[0], "AT", at) == .simple("QUEUED"))
        #expect(c.command("PING") == .simple("QUEUED"))
        #expect(c.command("EXEC") == .array([expected!, .simple("PONG")]))
        guard case .error(let noMulti) = c.command("EXEC") else { Issue.record("EXEC without MULTI"); return }
        #expect(noMulti.contains("EXEC without MULTI"))
        #expect(c.command("MULTI") == .simple("OK"))
        guard case .error = c.command("FLY") else { Issue.record("an unknown command inside MULTI fails at once"); return }
        guard case .error(let aborted) = c.command("EXEC") else { Issue.record("EXEC after a failed queue"); return }
        #expect(aborted.hasPrefix("EXECABORT"))
        #expect(c.command("MULTI") == .simple("OK"))
        #expect(c.command("DISCARD") == .simple("OK"))
        #expect(c.command("WATCH", "u1") == .simple("OK"))
        #expect(c.command("PING") == .simple("PONG"))
    }

    @Test func emptyRequestsGetNoReplyAndBinaryEchoRoundTrips() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: f.port)
        c.send("\r\n\n*0\r\nPING\r\n")
        #expect(c.line() == "PONG")
        // What redis-cli --pipe ends with: a CRLF, then an ECHO of 20 random bytes.
        let magic: [UInt8] = (0..<20).map { UInt8(($0 * 37 + 200) % 256) }
        c.send(Array("\r\n*2\r\n$4\r\nECHO\r\n$20\r\n".utf8) + magic + Array("\r\n".utf8))
        #expect(c.bytes(5) == Array("$20\r\n".utf8))
        #expect(c.bytes(22) == magic + [13, 10])
        // Any other command with bytes that are not UTF-8 is refused, and the connection carries on.
        c.send(Array("*2\r\n$5\r\nSCORE\r\n$2\r\n".utf8) + [0xFF, 0x41] + Array("\r\n".utf8))
        #expect(c.line()?.hasPrefix("-ERR BAD_ENCODING") == true)
        #expect(c.command("PING") == .simple("PONG"))
    }
}
