import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

extension TestClient {
    /// One HTTP response: status, headers (lower-cased names) and body; nil when the connection closed first.
    func httpResponse() -> (status: Int, headers: [String: String], body: String)? {
        guard let statusLine = line(), statusLine.hasPrefix("HTTP/1.") else { return nil }
        let status = Int(statusLine.split(separator: " ")[1]) ?? 0
        var headers: [String: String] = [:]
        while let header = line(), !header.isEmpty {
            let parts = header.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        guard let body = bytes(length) else { return nil }
        return (status, headers, String(decoding: body, as: UTF8.self))
    }

    func get(_ path: String, headers: String = "") -> (status: Int, headers: [String: String], body: String)? {
        send("GET \(path) HTTP/1.1\r\nHost: test\r\n\(headers)\r\n")
        return httpResponse()
    }

    func post(_ path: String, _ body: String, headers: String = "") -> (status: Int, headers: [String: String], body: String)? {
        send("POST \(path) HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(headers)\r\n\(body)")
        return httpResponse()
    }
}

func json(_ text: String) -> [String: Any] { (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:] }

/// Every number written after `"name":` in a JSON text, read by Swift's own exact parser:
/// Foundation's JSONSerialization on Linux can read a 17-digit number a few units in the last place off.
func jsonNumbers(_ text: String, _ name: String) -> [Double] {
    text.components(separatedBy: "\"\(name)\":").dropFirst().compactMap { rest in
        Double(String(rest.prefix { "0123456789.eE+-".contains($0) }))
    }
}

@Suite(.serialized) struct HTTPTests {
    @Test func everyRouteAnswersJSONWithTheSameScoresAsTheService() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: try #require(f.server.httpPort))
        let user = f.users[3]
        let at = "2025-06-01T00:00:00Z"
        let expected = try f.server.service.score(user, at: DateText.parse(at))
        let single = try #require(c.get("/v1/score/\(user)?at=\(at)"))
        #expect(single.status == 200 && single.headers["content-type"] == "application/json")
        let object = json(single.body)
        #expect(jsonNumbers(single.body, "score").map(\.bitPattern) == [expected.probability.bitPattern], "the score survives JSON bit for bit")
        #expect(object["model"] as? String == "v1" && object["cold"] as? Bool == false && object["user"] as? String == user)
        #expect(json(c.get("/v1/score/\(user)?model=v1")?.body ?? "")["model"] as? String == "v1")
        #expect(json(c.get("/v1/score/nobody%20at%20all")?.body ?? "")["cold"] as? Bool == true, "percent-encoded ids are decoded")

        let batch = try #require(c.post("/v1/score", "{\"users\":[\"\(user)\",\"\(f.users[4])\",\"nobody\"],\"at\":\"\(at)\"}"))
        let scores = json(batch.body)["scores"] as? [[String: Any]] ?? []
        #expect(batch.status == 200 && scores.count == 3)
        #expect(jsonNumbers(batch.body, "score").first?.bitPattern == expected.probability.bitPattern)
        #expect(scores.last?["cold"] as? Bool == true)

        let features = json(c.get("/v1/features/\(user)?at=\(at)")?.body ?? "")
        #expect((features["features"] as? [String: Any])?["purchase_count_all"] != nil)
        let models = json(c.get("/v1/models")?.body ?? "")
        #expect(models["serving"] as? String == "v1" && (models["aliases"] as? [String: String])?["production"] == "v1")
        #expect(c.get("/healthz")?.status == 200)
        let ready = try #require(c.get("/readyz"))
        #expect(ready.status == 200 && json(ready.body)["ready"] as? Bool == true && json(ready.body)["users"] as? Int == f.server.service.userCount)

        // Errors: JSON, with the line protocol's codes, on the same kept-alive connection.
        func code(_ response: (status: Int, headers: [String: String], body: String)?) -> (Int, String?) {
            (response?.status ?? 0, (json(response?.body ?? "")["error"] as? [String: Any])?["code"] as? String)
        }
        #expect(code(c.get("/v1/score/\(user)?at=someday")) == (400, "BAD_TIME"))
        #expect(code(c.get("/v1/score/\(user)?model=v9")) == (404, "FAILED"))
        #expect(code(c.get("/v1/score/\(user)?colour=red")) == (400, "SYNTAX"))
        #expect(code(c.get("/v2/anything")) == (404, "NOT_FOUND"))
        #expect(code(c.post("/v1/models", "{}")) == (405, "METHOD"))
        #expect(code(c.post("/v1/score", "{not json")) == (400, "BAD_JSON"))
        #expect(code(c.post("/v1/score", "{\"users\":[\"a\"],\"extra\":1}")) == (400, "SYNTAX"))
        #expect(code(c.post("/v1/score", "{\"users\":[]}")) == (400, "SYNTAX"))
        let many = "{\"users\":[" + (0...HTTPRoutes.maximumBatch).map { "\"u\($0)\"" }.joined(separator: ",") + "]}"
        #expect(code(c.post("/v1/score", many)) == (400, "TOO_MANY"))
        #expect(c.get("/healthz")?.status == 200, "the connection survived every error")
    }

    @Test func keepAlivePipeliningAndHTTP10() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let port = try #require(f.server.httpPort)
        let c = try TestClient(port: port)
        c.send(String(repeating: "GET /v1/score/\(f.users[0]) HTTP/1.1\r\nHost: t\r\n\r\n", count: 50))
        for i in 0..<50 { #expect(c.httpResponse()?.status == 200, "pipelined request \(i)") }
        let old = try TestClient(port: port)
        old.send("GET /healthz HTTP/1.0\r\n\r\n")
        #expect(old.httpResponse()?.headers["connection"] == "close")
        #expect(old.line() == nil, "HTTP/1.0 without keep-alive is closed after the answer")
        let closing = try TestClient(port: port)
        closing.send("GET /healthz HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        #expect(closing.httpResponse()?.status == 200)
        #expect(closing.line() == nil)
    }

    @Test func expectContinueAndHeadAreAnsweredAsHTTPSays() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: try #require(f.server.httpPort))
        let body = "{\"users\":[\"\(f.users[0])\"]}"
        c.send("POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n")
        #expect(c.line() == "HTTP/1.1 100 Continue" && c.line() == "", "the client is told to send its body")
        c.send(body)
        let answer = try #require(c.httpResponse())
        #expect(answer.status == 200 && (json(answer.body)["scores"] as? [Any])?.count == 1)
        c.send("HEAD /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        let head = try #require(c.line())
        var headers: [String] = []
        while let line = c.line(), !line.isEmpty { headers.append(line) }
        #expect(head == "HTTP/1.1 200 OK" && headers.contains { $0.hasPrefix("content-length: ") }, "HEAD: \(head) \(headers)")
        #expect(c.httpResponse()?.status == 200, "no body followed the HEAD answer: the next answer starts at once")
    }

    @Test func garbageOversizedAndHalfSentRequestsNeverTakeTheServerDown() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let port = try #require(f.server.httpPort)
        let garbage = try TestClient(port: port)
        garbage.send([0xFF, 0x00, 0x13, 0x37] + Array("\r\n\r\n".utf8))
        #expect(garbage.httpResponse()?.status == 400)
        #expect(garbage.line() == nil, "an unparseable stream is closed")
        let headers = try TestClient(port: port)
        headers.send("GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "a", count: 40_000) + "\r\n\r\n")
        let tooBig = headers.httpResponse()
        #expect(tooBig?.status == 431 && json(tooBig?.body ?? "")["error"] != nil, "headers beyond the limit are refused with 431 and a JSON error")
        #expect(headers.line() == nil)
        let body = try TestClient(port: port)
        body.send("POST /v1/score HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n" + String(repeating: "x", count: 10_000))
        #expect(body.httpResponse()?.status == 413)
        let chunked = try TestClient(port: port)
        let chunk = String(repeating: "y", count: 64 * 1024)
        chunked.send("POST /v1/score HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<20 { chunked.send(String(chunk.utf8.count, radix: 16) + "\r\n" + chunk + "\r\n") }
        chunked.send("0\r\n\r\n")
        #expect(chunked.httpResponse()?.status == 413, "a streamed body past the limit (\(HTTPLimits().maximumBodyBytes) bytes) is refused without being kept")
        // A client that sends half a request holds its connection, not the server.
        let slow = try TestClient(port: port)
        slow.send("GET /v1/score/\(f.users[0]) HTTP/1.1\r\nHo")
        let other = try TestClient(port: port)
        #expect(other.get("/healthz")?.status == 200)
        slow.send("st: t\r\n\r\n")
        #expect(slow.httpResponse()?.status == 200, "the half-sent request is answered once complete")
        #expect(try TestClient(port: f.port).ask("PING") == "PONG", "the line protocol is unaffected")
    }

    @Test func aClientThatDoesNotReadItsAnswersStopsBeingRead() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let port = try #require(f.server.httpPort)
        let greedy = try TestClient(port: port)
        // Cheap requests, so that even a debug build reads them faster than a stall: a server that
        // kept reading would take all of them and hold every answer.
        let request = "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
        let limit = 32 << 20
        // Stopped, not slow: sending goes on until three seconds pass without a byte taken; a server
        // that still reads, however slowly, takes more than the limit in the end.
        let chunk = Array(String(repeating: request, count: 256).utf8)
        let (sent, failed) = greedy.sendUntilStopped(chunk, limit: limit, stall: 3)
        #expect(!failed && sent < limit, "the server stops reading a client that does not read (it took \(sent) bytes, failed: \(failed))")
        #expect(try TestClient(port: port).get("/healthz")?.status == 200, "other clients are served meanwhile")
        let first = greedy.httpResponse()
        #expect(first?.status == 200 && json(first?.body ?? "")["status"] as? String == "ok", "the greedy client's answers are still there")
    }

    @Test func aTokenIsABearerTokenAndProbesNeedNone() throws {
        let f = try ServerTests.fixture(authToken: "http-t0ken")
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: try #require(f.server.httpPort))
        let refused = try #require(c.get("/v1/models"))
        #expect(refused.status == 401 && refused.headers["www-authenticate"] == "Bearer")
        #expect(c.get("/v1/models", headers: "Authorization: Bearer wrong\r\n")?.status == 401)
        #expect(c.get("/v1/models", headers: "Authorization: Bearer http-t0ken\r\n")?.status == 200)
        #expect(c.get("/healthz")?.status == 200)
        #expect(c.get("/readyz")?.status == 200)
    }

    @Test func aBatchOfFeatureRowsAnswersAsEachGetAndTheSetsAreListed() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let c = try TestClient(port: try #require(f.server.httpPort))
        let at = "2025-12-01T00:00:00Z"
        let users = Array(f.users.prefix(5)) + ["nobody-at-all"]
        let body =
            "{\"rows\": [" + users.map { "{\"user\": \"\($0)\", \"at\": \"\(at)\"}" }.joined(separator: ",")
            + ", {\"user\": \"\(f.users[0])\", \"at\": \"2025-01-02\"}]}"
        let page = try #require(c.post("/v1/features", body))
        #expect(page.status == 200, "\(page.body)")
        struct Row: Decodable {
            struct Failure: Decodable { var code: String }
            var user: String
            var cold: Bool?
            var features: [String: Double?]?
            var error: Failure?
        }
        struct Batch: Decodable { var feature_set: String; var rows: [Row] }
        let batch = try JSONDecoder().decode(Batch.self, from: Data(page.body.utf8))
        #expect(batch.rows.count == users.count + 1 && batch.feature_set == "default@1")
        for (user, row) in zip(users, batch.rows) {
            struct One: Decodable { var cold: Bool; var features: [String: Double?] }
            let single = try JSONDecoder().decode(One.self, from: Data(try #require(c.get("/v1/features/\(user)?at=\(at)")).body.utf8))
            #expect(row.user == user && row.cold == single.cold && row.features == single.features, "\(user)")
        }
        // A time the user's online state cannot answer is that row's error, not the batch's.
        let past = batch.rows.last!
        #expect(past.error?.code == "PAST_AT" || past.features != nil)
        #expect(try #require(c.post("/v1/features", "{\"rows\": []}")).status == 400)
        #expect(try #require(c.post("/v1/features", "{\"rows\": [{\"user\": \"u\", \"when\": \"x\"}]}")).status == 400)

        let sets = try #require(c.get("/v1/feature-sets"))
        struct Listing: Decodable { var feature_sets: [FeatureSetListing] }
        let listing = try JSONDecoder().decode(Listing.self, from: Data(sets.body.utf8))
        let defaultSet = try #require(listing.feature_sets.first { $0.reference == "default@1" })
        #expect(defaultSet.features.count == 45 && defaultSet.features.contains { $0.name == "purchase_count_30d" && $0.window == "30d" && $0.kind == "count" })
        #expect(sets.body == String(decoding: FeatureCatalog.builtin.listingJSON, as: UTF8.self), "one encoder for the CLI and HTTP")
    }
}
