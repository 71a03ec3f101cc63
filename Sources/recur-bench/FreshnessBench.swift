import ArgumentParser
import Foundation
import Kafka

/// How long an event takes from `produce` to being visible in `recur serve`: publishes one probe event
/// for a new user at a time (beside whatever other traffic runs) and asks the server for that user's
/// FEATURES until it is no longer cold.
struct FreshnessBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "freshness", abstract: "Produce-to-serve latency of single events (p50/p99).")

    @Option(help: "Bootstrap servers.") var brokers: String
    @Option(help: "Topic the builder consumes.") var topic: String
    @Option(help: "Port of recur serve on 127.0.0.1.") var port = 7878
    @Option(help: "Probe events to send.") var probes = 300
    @Option(help: "Seconds between probes.") var interval = 0.2
    @Option(help: "Event time of the probes (inside the served feature set's data).") var eventTime = "2025-12-30T12:00:00Z"

    func run() throws {
        var configuration = KafkaConfiguration(brokers: brokers)
        // Sent at once: the latency measured starts when produce is called.
        configuration.set("linger.ms", "0")
        let producer = try Producer(configuration: configuration)
        let server = try LineClient(port: UInt16(port))
        let run = UInt32.random(in: 0...UInt32.max)
        var latencies = [Double](), missed = 0
        for index in 0..<probes {
            let user = "probe-\(run)-\(index)"
            let json = "{\"event_id\":\"\(user)\",\"user_id\":\"\(user)\",\"ts\":\"\(eventTime)\",\"event_type\":\"view\"}"
            let started = Date()
            try producer.produce(topic: topic, key: Array(user.utf8), value: Array(json.utf8))
            producer.poll()
            var seen = false
            while Date().timeIntervalSince(started) < 10 {
                producer.poll()
                let reply = try server.ask("FEATURES \(user)")
                if !reply.contains("\"cold\":true") { seen = true; break }
                usleep(2_000)
            }
            if seen { latencies.append(Date().timeIntervalSince(started)) } else { missed += 1 }
            let rest = interval - Date().timeIntervalSince(started)
            if rest > 0 { usleep(UInt32(rest * 1_000_000)) }
        }
        _ = producer.flush(timeout: 5)
        latencies.sort()
        func quantile(_ q: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))] }
        print(
            String(
                format: "freshness: %d probes, %d not visible within 10 s; produce to visible in recur serve: p50 %.0f ms, p99 %.0f ms, max %.0f ms",
                probes, missed, quantile(0.5) * 1000, quantile(0.99) * 1000, (latencies.last ?? .nan) * 1000))
    }
}

/// A blocking client of the plain line protocol on 127.0.0.1.
final class LineClient {
    private let socket: Int32

    init(port: UInt16) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw ValidationError("cannot open a socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw ValidationError("cannot connect to recur serve on 127.0.0.1:\(port)") }
    }

    deinit { close(socket) }

    /// Sends one request line and returns the reply line.
    func ask(_ line: String) throws -> String {
        let bytes = Array((line + "\n").utf8)
        guard send(socket, bytes, bytes.count, 0) == bytes.count else { throw ValidationError("recur serve closed the connection") }
        var reply = [UInt8](), chunk = [UInt8](repeating: 0, count: 4096)
        while reply.last != 10 {
            let count = recv(socket, &chunk, chunk.count, 0)
            guard count > 0 else { throw ValidationError("recur serve closed the connection") }
            reply += chunk[0..<count]
        }
        return String(decoding: reply, as: UTF8.self)
    }
}
