import ArgumentParser
import Foundation
import RecurCore

/// `recur score USER…`: ask a running `recur serve` for scores (users from stdin when none are given).
struct ScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score users against a running `recur serve`; reads user ids from stdin when none are given (or -)."
    )

    @Argument(help: "User ids.") var users: [String] = []
    @Option(help: "Server address.") var host = "127.0.0.1"
    @Option(help: "Server port.") var port = 7878
    @Option(help: "Score with this model version or alias instead of the served one.") var model: String?
    @Option(help: "Score as of this time.") var at: String?
    @Option(name: .customLong("auth-token-file"), help: "File holding the server's token.") var authTokenFile: String?
    @Option(help: "While the server is still starting or loading users' features, retry for up to this long (0s: fail at once).")
    var wait = DurationArgument(.seconds(10))
    @Flag(
        name: .customLong("known-only"),
        help: "Refuse users the store has no events for (a mistyped id scores as a newcomer otherwise); exit non-zero when there is one.")
    var knownOnly = false

    func run() throws {
        var ids = users.filter { $0 != "-" }
        if ids.isEmpty {
            while let line = readLine() {
                let id = line.trimmingCharacters(in: .whitespaces)
                if !id.isEmpty { ids.append(id) }
            }
        }
        for id in ids where id.contains(where: { $0 == " " || $0 == "\t" }) {
            throw CLIError.usage("user id '\(id)' contains a space; the plain protocol separates words by spaces")
        }
        // Durations are positive; no waiting at all is spelt 0 or 0s.
        let deadline = Date().addingTimeInterval(wait.seconds)
        let connection = try connectWhileStarting(until: deadline)
        try authenticate(connection)
        var suffix = ""
        if let model { suffix += " MODEL \(model)" }
        if let at { suffix += " AT \(at)" }
        try waitWhileLoading(connection, until: deadline)
        // Pipelined in batches: one round trip per thousand users.
        var failed = false
        var unknown = [String]()
        var nodes = [String: LineClient]()
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let batch = Array(ids[start..<min(ids.count, start + 1_000)])
            var replies = try connection.exchange(batch.map { "SCORE \($0)\(suffix)" })
            try followRedirects(batch, &replies, suffix: suffix, nodes: &nodes, until: deadline)
            for (id, reply) in zip(batch, replies) {
                if reply.hasPrefix("ERR") {
                    failed = true
                    printError("\(id)\t\(reply)")
                } else if reply.hasSuffix(" cold") {
                    unknown.append(id)
                    if knownOnly { printError("\(id)\tunknown user: the store has no events for it") } else { print("\(id)\t\(reply)") }
                } else {
                    print("\(id)\t\(reply)")
                }
            }
        }
        if !unknown.isEmpty {
            let shown = unknown.prefix(5).joined(separator: ", ") + (unknown.count > 5 ? ", …" : "")
            printError(
                knownOnly
                    ? "\(unknown.count) unknown users refused (\(shown))"
                    : "note: \(unknown.count) of \(ids.count) users are unknown to the store (\(shown)): their score is the newcomer's (cold); --known-only refuses them"
            )
        }
        if failed || (knownOnly && !unknown.isEmpty) { throw ExitCode.failure }
    }
}

extension ScoreCommand {
    func authenticate(_ connection: LineClient) throws {
        guard let authTokenFile else { return }
        let token = (try? String(contentsOfFile: authTokenFile, encoding: .utf8))?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        let reply = try connection.exchange(["AUTH \(token)"])[0]
        guard reply == "OK" else { throw CLIError.failed("server refused the token: \(reply)") }
    }

    /// A cluster node answers `MOVED slot host:port` for a user another node holds: the request is
    /// asked again there, as `redis-cli -c` does (a few hops at most, so a misconfigured cluster that
    /// points in a circle ends with the redirect shown rather than a loop).
    func followRedirects(
        _ batch: [String], _ replies: inout [String], suffix: String, nodes: inout [String: LineClient], until deadline: Date
    ) throws {
        for _ in 0..<3 {
            var byNode = [String: [Int]]()
            for (index, reply) in replies.enumerated() {
                guard let moved = reply.wholeMatch(of: /ERR MOVED \d+ (\S+):(\d+)/) else { continue }
                byNode["\(moved.1):\(moved.2)", default: []].append(index)
            }
            guard !byNode.isEmpty else { return }
            for (address, indices) in byNode {
                let node: LineClient
                if let known = nodes[address] {
                    node = known
                } else {
                    let parts = address.split(separator: ":")
                    let port = Int(parts.last ?? "") ?? 0
                    // A node that is restarting is waited for as the first one is, within --wait.
                    node = try connectWhileStarting(host: parts.dropLast().joined(separator: ":"), port: port, until: deadline)
                    try authenticate(node)
                    try waitWhileLoading(node, until: deadline)
                    nodes[address] = node
                }
                let answers = try node.exchange(indices.map { "SCORE \(batch[$0])\(suffix)" })
                for (index, answer) in zip(indices, answers) { replies[index] = answer }
            }
        }
    }

    /// A server that has just started answers LOADING until its features are in memory; its
    /// STATS says whether it is ready (a server without the field is).
    func waitWhileLoading(_ connection: LineClient, until deadline: Date) throws {
        var told = false
        while true {
            let stats = try connection.exchange(["STATS"])[0]
            guard stats.contains("\"ready\":false") else { return }
            let progress = stats.firstMatch(of: /"loading_users":(\d+),"loading_expected_users":(\d+)/).map { "\($0.1) of \($0.2) users" } ?? "progress unknown"
            guard Date() < deadline else { throw CLIError.failed("the server is still loading users' features after \(wait) (\(progress))") }
            if !told { printError("waiting: the server is loading users' features (\(progress))"); told = true }
            Thread.sleep(forTimeInterval: 0.2)
        }
    }
}

extension ScoreCommand {
    /// `recur serve & recur score …` is a natural script: a server that is not listening yet is
    /// retried until the deadline (connection refused only; any other failure is reported at once).
    func connectWhileStarting(host: String? = nil, port: Int? = nil, until deadline: Date) throws -> LineClient {
        let host = host ?? self.host, port = port ?? self.port
        var told = false
        while true {
            do {
                return try LineClient(host: host, port: port)
            } catch LineClient.ConnectError.refused(let message) {
                guard Date() < deadline else {
                    throw CLIError.failed("\(message): start the server first (recur serve --port \(port)), or give --host and --port of a running one")
                }
                if !told { printError("waiting up to \(wait): nothing listens at \(host):\(port) yet (is recur serve running?)"); told = true }
                Thread.sleep(forTimeInterval: 0.2)
            }
        }
    }
}

/// A blocking line-protocol client over a POSIX socket: enough for a CLI.
final class LineClient {
    private let descriptor: Int32
    private var buffer = [UInt8]()

    init(host: String, port: Int) throws {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
            throw CLIError.failed("cannot resolve \(host)")
        }
        defer { freeaddrinfo(result) }
        descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
        guard descriptor >= 0, connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            let code = errno
            if descriptor >= 0 { close(descriptor) }
            let message = "cannot connect to recur serve at \(host):\(port): \(String(cString: strerror(code)))"
            throw code == ECONNREFUSED ? ConnectError.refused(message) : CLIError.failed(message)
        }
    }

    /// Nothing listens at the address (yet): the one failure worth retrying.
    enum ConnectError: Error, CustomStringConvertible {
        case refused(String)
        var description: String {
            switch self {
            case .refused(let message): message
            }
        }
    }

    deinit { close(descriptor) }

    /// Sends `payload` as it is and reads until the server closes the connection (one HTTP exchange).
    func sendAndReadToClose(_ payload: String) throws -> String {
        let bytes = Array(payload.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, 0) }
            guard n > 0 else { throw CLIError.failed("connection lost while sending") }
            sent += n
        }
        var received = buffer
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if n <= 0 { break }
            received += chunk[0..<n]
        }
        buffer = []
        return String(decoding: received, as: UTF8.self)
    }

    /// Sends every line, then reads one reply line per request.
    func exchange(_ lines: [String]) throws -> [String] {
        let payload = Array((lines.joined(separator: "\n") + "\n").utf8)
        var sent = 0
        while sent < payload.count {
            let n = payload.withUnsafeBytes { send(descriptor, $0.baseAddress! + sent, $0.count - sent, 0) }
            guard n > 0 else { throw CLIError.failed("connection lost while sending") }
            sent += n
        }
        var replies = [String]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        while replies.count < lines.count {
            if let newline = buffer.firstIndex(of: 10) {
                replies.append(String(decoding: buffer[..<newline], as: UTF8.self))
                buffer.removeSubrange(...newline)
                continue
            }
            let n = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            guard n > 0 else { throw CLIError.failed("the server closed the connection") }
            buffer += chunk[0..<n]
        }
        return replies
    }
}
