import Foundation
import Logging
import RecurCore
import Testing

@testable import RecurServer

/// Three Recur nodes and a replica on loopback, speaking Redis Cluster's protocol over one store:
/// each holds only its slots' users; real cluster clients route SCORE to the right node, and every
/// answer equals a single server's.
@Suite(.serialized) struct ClusterTests {
    struct Node {
        var server: ScoringServer
        var service: ScoringService
    }

    static func start(_ f: ServerTests.Fixture, layout text: String, port: Int) throws -> Node {
        let layout = try ClusterLayout(text: text, path: "cluster.conf", host: "127.0.0.1", port: port)
        let service = try ScoringService(registry: f.registry, modelReference: "production", catalog: .builtin, cluster: layout)
        _ = try FeatureSync(service: service, location: f.store.location, interval: 0.5, logger: Logger(label: "test")).loadAll()
        var configuration = ScoringServer.Configuration()
        configuration.port = port
        configuration.httpPort = port + 100
        configuration.threads = 1
        let server = ScoringServer(configuration: configuration, service: service)
        try server.start()
        return Node(server: server, service: service)
    }

    @Test func keySlotsAreRedisOnes() {
        // Values from Redis's documentation and `redis-cli CLUSTER KEYSLOT`.
        #expect(KeySlot.of("foo") == 12182 && KeySlot.of("bar") == 5061 && KeySlot.of("hello") == 866)
        #expect(KeySlot.of("{user1000}.following") == KeySlot.of("{user1000}.followers") && KeySlot.of("{foo}bar") == 12182)
        #expect(KeySlot.of("foo{}{bar}") == KeySlot.of("foo{}{bar}") && KeySlot.of("foo{{bar}}zap") == KeySlot.of("{bar"))
        #expect(KeySlot.of("") == 0)
    }

    @Test func nodesServeTheirSlotsAndRedirectTheRest() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        // Below Linux's ephemeral range (32768 and up), where every test's own servers and clients take
        // their ports: a fixed layout needs ports nothing else is handed.
        let base = 20_000 + Int.random(in: 0..<12_000)
        let ports = [base, base + 1, base + 2, base + 3]
        let text = """
            # three primaries and a replica of the first
            127.0.0.1:\(ports[0]) 0-5460 http=\(ports[0] + 100)
            127.0.0.1:\(ports[1]) 5461-10922 http=\(ports[1] + 100)
            127.0.0.1:\(ports[2]) 10923-16383
            127.0.0.1:\(ports[3]) 0-5460
            """
        var nodes = try ports.map { try Self.start(f, layout: text, port: $0) }
        defer { for node in nodes { node.server.shutdown() } }
        let at = "2025-06-01T00:00:00Z"
        let single = try TestClient(port: f.port)
        var expected = [String: String]()
        for user in f.users { expected[user] = single.ask("SCORE \(user) AT \(at)") }
        // Each node holds only its users; the replica holds the first node's.
        let owner = { (user: String) -> Int in [0...5460, 5461...10922, 10923...16383].firstIndex { $0.contains(KeySlot.of(user)) }! }
        #expect(nodes[0].service.userCount + nodes[1].service.userCount + nodes[2].service.userCount == f.server.service.userCount)
        #expect(nodes[3].service.userCount == nodes[0].service.userCount && nodes.allSatisfy { $0.service.userCount > 0 })
        let clients = try ports.map { try TestClient(port: $0) }
        for user in f.users.prefix(60) {
            let home = owner(user)
            #expect(clients[home].ask("SCORE \(user) AT \(at)") == expected[user], "\(user) on its node")
            let other = (home + 1) % 3
            #expect(clients[other].ask("SCORE \(user) AT \(at)") == "ERR MOVED \(KeySlot.of(user)) 127.0.0.1:\(ports[home])")
        }
        // Over RESP, as Redis writes it; several slots in one MSCORE are refused.
        let user = try #require(f.users.first { owner($0) == 2 })
        clients[0].send("*2\r\n$5\r\nSCORE\r\n$\(user.utf8.count)\r\n\(user)\r\n")
        #expect(clients[0].line() == "-MOVED \(KeySlot.of(user)) 127.0.0.1:\(ports[2])")
        let spread = [f.users.first { owner($0) == 0 }!, f.users.first { owner($0) == 1 }!]
        #expect(clients[0].ask("MSCORE \(spread.joined(separator: " "))")?.hasPrefix("ERR CROSSSLOT") == true)
        // The replica redirects to its primary until READONLY, then answers the same.
        let first = try #require(f.users.first { owner($0) == 0 })
        #expect(clients[3].ask("SCORE \(first) AT \(at)") == "ERR MOVED \(KeySlot.of(first)) 127.0.0.1:\(ports[0])")
        #expect(clients[3].ask("READONLY") == "OK" && clients[3].ask("SCORE \(first) AT \(at)") == expected[first])
        #expect(clients[1].ask("CLUSTER KEYSLOT \(first)") == "\(KeySlot.of(first))")
        // In MULTI, another node's user is redirected when queued and EXEC then fails, as in Redis Cluster.
        #expect(clients[1].ask("MULTI") == "OK" && clients[1].ask("SCORE \(first)")?.hasPrefix("ERR MOVED") == true)
        #expect(clients[1].ask("EXEC")?.hasPrefix("ERR EXECABORT") == true)
        #expect(clients[1].ask("CLUSTER INFO")?.contains("cluster_state:ok") == true)

        // HTTP: a 307 to the node's HTTP port when the file names it, else 421 with its address.
        let http = try TestClient(port: ports[0] + 100)
        let onSecondNode = try #require(f.users.first { owner($0) == 1 && expected[$0]?.hasPrefix("ERR") == false })
        let redirected = try #require(http.get("/v1/score/\(onSecondNode)?at=\(at)"))
        #expect(redirected.status == 307 && redirected.headers["location"] == "http://127.0.0.1:\(ports[1] + 100)/v1/score/\(onSecondNode)?at=\(at)")
        let followed = json(try #require(try TestClient(port: ports[1] + 100).get("/v1/score/\(onSecondNode)?at=\(at)")).body)
        #expect((followed["score"] as? Double).map { String(format: "%.6f", $0) } == expected[onSecondNode]?.split(separator: " ").first.map(String.init))
        #expect(http.get("/v1/score/\(user)")?.status == 421, "no HTTP port for the third node: 421 with its address")

        // redis-cli -c follows MOVED from any node.
        if let cli = RedisClientTests.onPath("redis-cli") {
            for user in f.users.prefix(20) {
                let answer = RedisClientTests.run(cli, ["-c", "-p", "\(ports[1])", "SCORE", user, "AT", at])
                #expect(answer.output.trimmingCharacters(in: .whitespacesAndNewlines) == expected[user], "redis-cli -c \(user): \(answer.output)")
            }
        }
        // `recur score` asked of any node follows MOVED to the others, as redis-cli -c does. Its answers
        // (stdout, read alone here) equal a single server's; refusals (a past AT) go to stderr.
        let scored = try piped(
            "/bin/sh", ["-c", "exec \"$0\" \"$@\" 2>/dev/null", RecurBinary.path, "score", "--port", "\(ports[1])", "--at", at],
            input: f.users.joined(separator: "\n") + "\n")
        let answered = f.users.filter { expected[$0]?.hasPrefix("ERR") == false }
        #expect(scored.output.split(separator: "\n").map(String.init) == answered.map { "\($0)\t\(expected[$0]!)" }, "\(scored.output.prefix(500))")
        #expect(scored.status == (answered.count == f.users.count ? 0 : 1))
        // redis-py's RedisCluster routes by slot, from CLUSTER SLOTS and COMMAND's key positions.
        if RedisClientTests.hasRedisPy {
            let lines = f.users.map { "\($0)\t\(expected[$0]!)" }.joined(separator: "\n") + "\n"
            let routed = try piped(RedisClientTests.python, [RedisClientTests.scripts + "/redis_py_cluster.py", "\(ports[0])", at], input: lines)
            #expect(routed.status == 0 && routed.output.contains("OK"), "\(routed.output)")
        } else if ProcessInfo.processInfo.environment["RECUR_REQUIRE_CLIENTS"] == "1" {
            Issue.record("no redis-py for the cluster client check")
        }
        // node-redis's cluster client, the same way.
        if RedisClientTests.hasNodeRedis, let node = RedisClientTests.onPath("node") {
            let lines = f.users.map { "\($0)\t\(expected[$0]!)" }.joined(separator: "\n") + "\n"
            let routed = try piped(
                "/usr/bin/env", ["NODE_PATH=/usr/share/nodejs", node, RedisClientTests.scripts + "/node_redis_cluster.js", "\(ports[2])", at], input: lines)
            #expect(routed.status == 0 && routed.output.contains("OK"), "\(routed.output)")
        }
        // A node that goes down costs only its slots; back on its port, they are served again.
        nodes[1].server.shutdown()
        let onFirst = try #require(f.users.first { owner($0) == 0 }), onSecond = try #require(f.users.first { owner($0) == 1 })
        #expect(clients[2].ask("SCORE \(onFirst) AT \(at)")?.hasPrefix("ERR MOVED") == true)
        #expect(try TestClient(port: ports[0]).ask("SCORE \(onFirst) AT \(at)") == expected[onFirst])
        #expect((try? TestClient(port: ports[1]))?.ask("PING") == nil, "the second node is down")
        nodes[1] = try Self.start(f, layout: text, port: ports[1])
        #expect(try TestClient(port: ports[1]).ask("SCORE \(onSecond) AT \(at)") == expected[onSecond])
    }
}
