import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

/// Connections past the cap, clients that never finish a request, token guessers and malformed HTTP
/// targets: each gets a clear answer and a close, never a connection held open without a word.
@Suite(.serialized) struct OpenDoorTests {
    @Test func connectionsOverTheCapAreToldSoAndClosedOnEveryPort() throws {
        let f = try ServerTests.fixture {
            $0.maximumConnections = 3; $0.maximumMetricsConnections = 1
        }
        defer { ServerTests.stop(f) }
        let held = try (0..<3).map { _ in try TestClient(port: f.port) }
        for client in held { #expect(client.ask("PING") == "PONG") }
        let refused = try TestClient(port: f.port)
        #expect(refused.line()?.hasPrefix("-ERR max number of clients reached") == true)
        #expect(refused.line() == nil, "the refused connection is closed")
        let http = try TestClient(port: try #require(f.server.httpPort))
        #expect(http.httpResponse()?.status == 503)
        #expect(http.line() == nil)
        // One closes; a new client gets in.
        held[0].send("QUIT\n")
        #expect(held[0].line() == "OK" && held[0].line() == nil)
        var admitted: TestClient?
        for _ in 0..<100 where admitted == nil {
            let next = try TestClient(port: f.port)
            if next.ask("PING") == "PONG" { admitted = next } else { usleep(20_000) }
        }
        #expect(admitted != nil)
        // The metrics port has its own small cap.
        let scrape = try TestClient(port: try #require(f.server.metricsPort))
        scrape.send("GET /metr")
        let second = try TestClient(port: try #require(f.server.metricsPort))
        #expect(second.httpResponse()?.status == 503)
    }

    @Test func aRequestThatNeverFinishesArrivingIsTimedOutOnEveryPort() throws {
        let f = try ServerTests.fixture { $0.requestTimeout = .milliseconds(800) }
        defer { ServerTests.stop(f) }
        // One byte at a time, slower than the limit allows for the whole request.
        let slow = try TestClient(port: f.port)
        let healthy = try TestClient(port: f.port)
        let started = Date()
        var answer: String?
        for byte in Array("*2\r\n$5\r\nSCORE\r\n$12\r\n000000000001\r\n".utf8) {
            slow.send([byte])
            usleep(100_000)
            #expect(healthy.ask("PING") == "PONG", "others are served meanwhile")
            if Date().timeIntervalSince(started) > 1.5 { break }
        }
        answer = slow.line()
        #expect(answer?.hasPrefix("ERR TIMEOUT") == true, "\(answer ?? "closed without a word")")
        #expect(slow.line() == nil)
        // HTTP headers that never end, and the metrics port alike.
        for port in [try #require(f.server.httpPort), try #require(f.server.metricsPort)] {
            let c = try TestClient(port: port)
            c.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            #expect(c.httpResponse()?.status == 408, "port \(port)")
            #expect(c.line() == nil)
        }
        // An idle connection with nothing half-sent is not a slow request.
        let idle = try TestClient(port: f.port)
        #expect(idle.ask("PING") == "PONG")
        usleep(1_500_000)
        #expect(idle.ask("PING") == "PONG")
    }

    @Test func wrongTokensAreCountedAndEndTheConnectionAfterAFew() throws {
        let f = try ServerTests.fixture(authToken: "right-token")
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: f.port)
        for attempt in 1...CommandHandler.maximumAuthFailures {
            let answer = c.ask("AUTH guess\(attempt)")
            #expect(answer?.hasPrefix("ERR WRONGPASS") == true)
            #expect((answer?.contains("too many wrong tokens") == true) == (attempt == CommandHandler.maximumAuthFailures), "\(answer ?? "")")
        }
        #expect(c.line() == nil, "closed after the last wrong token, with no answer that was not asked for")
        let http = try TestClient(port: try #require(f.server.httpPort))
        for attempt in 1...CommandHandler.maximumAuthFailures {
            let page = http.get("/v1/models", headers: "Authorization: Bearer guess\(attempt)\r\n")
            #expect(page?.status == 401)
        }
        #expect(http.line() == nil, "HTTP closes after as many")
        #expect(f.server.metrics.authFailures == 2 * CommandHandler.maximumAuthFailures)
        let good = try TestClient(port: f.port)
        #expect(good.ask("AUTH right-token") == "OK")
        #expect(good.ask("PING") == "PONG")
    }

    @Test func malformedTargetsAreRefusedNotGuessedAt() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: try #require(f.server.httpPort))
        for target in [
            "/v1/score/%ZZ", "/v1/score/%C3", "/v1/score/%FF%FE", "/v1/score/a%00b", "/v1/score/u?at=2025-01-01&at=2025-02-01", "/v1/features/u?at=%ZZ"
        ] {
            let page = try #require(c.get(target))
            #expect(page.status == 400 && page.body.contains("SYNTAX"), "\(target): \(page)")
        }
        for path in ["/healthz", "/readyz"] {
            let page = try #require(c.post(path, "{}"))
            #expect(page.status == 405 && page.headers["allow"]?.contains("GET") == true, "\(path): \(page)")
        }
        let bare = try TestClient(port: try #require(f.server.httpPort))
        bare.send("GET /healthz\r\n\r\n")
        #expect(bare.httpResponse()?.status == 400, "a request line without a version")
    }
}
