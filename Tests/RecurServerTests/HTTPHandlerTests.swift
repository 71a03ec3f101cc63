import Foundation
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import RecurCore
@testable import RecurServer

/// The HTTP handler behind NIO's decoder on an embedded channel: routes, pipelined keep-alive
/// answers in order, the LOADING gate, tokens, limits and HEAD, with no socket and no PostgreSQL.
struct HTTPHandlerTests {
    static func connected(_ service: ScoringService, token: String? = nil, limits: HTTPLimits = HTTPLimits()) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop)))
        try channel.pipeline.syncOperations.addHandler(HTTPHandler(routes: HTTPRoutes(service: service, authToken: token), limits: limits))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    /// The answers' status lines and bodies, in order.
    static func ask(_ channel: EmbeddedChannel, _ text: String) throws -> [(status: Int, body: String)] {
        let raw = try CommandHandlerTests.ask(channel, text)
        var answers = [(Int, String)]()
        var rest = Substring(raw)
        while let headEnd = rest.range(of: "\r\n\r\n") {
            let head = rest[..<headEnd.lowerBound]
            let status = Int(head.split(separator: " ")[1]) ?? 0
            let length =
                head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
            let isHead = text.hasPrefix("HEAD")
            let bodyEnd = rest.index(headEnd.upperBound, offsetBy: isHead ? 0 : min(length, rest.distance(from: headEnd.upperBound, to: rest.endIndex)))
            answers.append((status, String(rest[headEnd.upperBound..<bodyEnd])))
            rest = rest[bodyEnd...]
        }
        return answers
    }

    /// The score as written: Swift's parser reads the shortest round-trip form back exactly, where
    /// Foundation's JSON parser was seen to land one unit in the last place away.
    static func probability(_ body: String) -> Double? {
        guard (try? JSONSerialization.jsonObject(with: Data(body.utf8))) is [String: Any], let key = body.range(of: "\"score\":") else { return nil }
        return Double(body[key.upperBound...].prefix { $0 != "," && $0 != "}" })
    }

    @Test func pipelinedScoresAreAnsweredInOrderAndEqualTheService() throws {
        let (service, users) = try CommandHandlerTests.service()
        let channel = try Self.connected(service)
        #expect(try Self.ask(channel, "GET /v1/score/\(users[0]) HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 503)
        #expect(try Self.ask(channel, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 200)
        service.markFeaturesLoaded()
        // At a fixed time: a score moves with the clock (recency), and the answer is compared to the digit.
        let at = "2025-09-01T00:00:00Z", time = Timestamp(year: 2025, month: 9, day: 1)!
        let request = users.prefix(5).map { "GET /v1/score/\($0)?at=\(at) HTTP/1.1\r\nHost: x\r\n\r\n" }.joined()
        let answers = try Self.ask(channel, request)
        #expect(answers.count == 5)
        for (user, answer) in zip(users.prefix(5), answers) {
            #expect(answer.status == 200)
            let expected = try service.score(user, at: time).probability
            #expect(Self.probability(answer.body) == expected, "\(user)")
        }
        #expect(try Self.ask(channel, "GET /v2/nothing HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 404)
        #expect(try Self.ask(channel, "DELETE /v1/score/\(users[0]) HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 405)
        #expect(try Self.ask(channel, "GET /v1/score/\(users[0])?at=soon HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 400)
        let head = try Self.ask(channel, "HEAD /v1/score/\(users[0]) HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.first?.status == 200 && head.first?.body == "")
        _ = try? channel.finish()
    }

    @Test func aTokenIsCheckedAndAnOversizedBodyRefused() throws {
        let (service, users) = try CommandHandlerTests.service()
        service.markFeaturesLoaded()
        var limits = HTTPLimits()
        limits.maximumBodyBytes = 100
        let channel = try Self.connected(service, token: "sesame", limits: limits)
        #expect(try Self.ask(channel, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 200)
        #expect(try Self.ask(channel, "GET /v1/score/\(users[0]) HTTP/1.1\r\nHost: x\r\n\r\n").first?.status == 401)
        let allowed = try Self.ask(
            channel, "GET /v1/score/\(users[0])?at=2025-09-01T00:00:00Z HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sesame\r\n\r\n")
        let expected = try service.score(users[0], at: Timestamp(year: 2025, month: 9, day: 1)!).probability
        #expect(allowed.first?.status == 200 && Self.probability(allowed.first?.body ?? "") == expected)
        let body = "{\"users\": [\"" + String(repeating: "u", count: 200) + "\"]}"
        let refused = try Self.ask(
            channel, "POST /v1/score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer sesame\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        #expect(refused.first?.status == 413)
        _ = try? channel.finish()
    }
}
