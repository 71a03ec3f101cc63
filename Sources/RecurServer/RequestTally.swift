/// What the server counts requests by: each command (an HTTP route by the command it answers as),
/// and requests it could not read or run.
enum MeteredCommand: Int, CaseIterable, Sendable {
    case ping, score, mscore, features, explain, models, stats, auth, quit, unknown, empty, noauth, invalid
    case echo, hello, client, select, reset, info, command, config, multi, exec, discard, watch, predict
    case healthz, readyz, ui, analytics, featureSets, cluster

    var label: String { self == .featureSets ? "feature_sets" : "\(self)" }

    init?(command: String) {
        guard let found = Self.allCases.first(where: { $0.label == command.lowercased() }) else { return nil }
        self = found
    }
}

/// The protocol a request came in: the line protocol's two framings, or HTTP.
enum MeteredProtocol: Int, CaseIterable, Sendable {
    case plain, resp, http

    var label: String { "\(self)" }
}

/// Request counts per protocol, command and outcome, and latency-bucket counts per command, kept by
/// one connection and added into the server's totals once per read rather than once per request:
/// under pipelining, a shared histogram's lock and counters bouncing between cores cost 10–15% of
/// serving time.
struct RequestTally: Sendable {
    /// Bucket upper bounds in nanoseconds (Prometheus `le`), ascending.
    static let bounds: [UInt64] = [10_000, 50_000, 100_000, 250_000, 500_000, 1_000_000, 5_000_000, 25_000_000, 100_000_000]

    /// Per command: count, sum of nanoseconds, then one count per bucket (not cumulative).
    private(set) var cells: [UInt64]
    /// Per (protocol, command, outcome): the count.
    private(set) var outcomes: [UInt64]
    private(set) var total: UInt64 = 0
    /// Bit n: command n was counted since the last clear.
    private var touched: UInt64 = 0
    private static let stride = 2 + bounds.count

    init() {
        cells = [UInt64](repeating: 0, count: MeteredCommand.allCases.count * Self.stride)
        outcomes = [UInt64](repeating: 0, count: MeteredProtocol.allCases.count * MeteredCommand.allCases.count * 2)
    }

    var isEmpty: Bool { total == 0 }

    private static func outcome(_ proto: MeteredProtocol, _ command: MeteredCommand, _ ok: Bool) -> Int {
        (proto.rawValue * MeteredCommand.allCases.count + command.rawValue) * 2 + (ok ? 0 : 1)
    }

    mutating func record(_ command: MeteredCommand, nanoseconds: UInt64, protocol proto: MeteredProtocol = .plain, ok: Bool = true) {
        let base = command.rawValue * Self.stride
        cells[base] += 1
        cells[base + 1] &+= nanoseconds
        var bucket = 0
        while bucket < Self.bounds.count && nanoseconds > Self.bounds[bucket] { bucket += 1 }
        if bucket < Self.bounds.count { cells[base + 2 + bucket] += 1 }
        outcomes[Self.outcome(proto, command, ok)] += 1
        total += 1
        touched |= 1 << UInt64(command.rawValue)
    }

    /// Adds the commands `other` counted. A connection's tally is added and cleared after every
    /// read: visiting only the commands it saw (usually one) instead of every cell was 6% of a
    /// pipelined PING's instructions.
    mutating func add(_ other: RequestTally) {
        other.forEachTouched { command in
            let base = command * Self.stride
            for i in base..<(base + Self.stride) { cells[i] &+= other.cells[i] }
            for proto in MeteredProtocol.allCases {
                let first = (proto.rawValue * MeteredCommand.allCases.count + command) * 2
                outcomes[first] &+= other.outcomes[first]
                outcomes[first + 1] &+= other.outcomes[first + 1]
            }
        }
        touched |= other.touched
        total += other.total
    }

    mutating func clear() {
        let seen = self
        seen.forEachTouched { command in
            let base = command * Self.stride
            for i in base..<(base + Self.stride) { cells[i] = 0 }
            for proto in MeteredProtocol.allCases {
                let first = (proto.rawValue * MeteredCommand.allCases.count + command) * 2
                outcomes[first] = 0
                outcomes[first + 1] = 0
            }
        }
        touched = 0
        total = 0
    }

    private func forEachTouched(_ body: (Int) -> Void) {
        var rest = touched
        while rest != 0 {
            let command = rest.trailingZeroBitCount
            body(command)
            rest &= rest - 1
        }
    }

    func count(_ command: MeteredCommand) -> UInt64 { cells[command.rawValue * Self.stride] }

    func count(_ proto: MeteredProtocol, _ command: MeteredCommand, ok: Bool) -> UInt64 { outcomes[Self.outcome(proto, command, ok)] }

    /// `recur_requests_total` and `recur_request_duration_seconds` in Prometheus text format.
    func prometheusText() -> String {
        var text = "# HELP recur_requests_total Requests by protocol, command (or the HTTP route's) and status (ok or error).\n"
        text += "# TYPE recur_requests_total counter\n"
        let used = MeteredCommand.allCases.filter { count($0) > 0 }
        for proto in MeteredProtocol.allCases {
            for command in used {
                for ok in [true, false] {
                    let n = count(proto, command, ok: ok)
                    guard n > 0 else { continue }
                    text +=
                        "recur_requests_total{protocol=\"\(proto.label)\",command=\"\(command.label)\",status=\"\(ok ? "ok" : "error")\"} \(n)\n"
                }
            }
        }
        text += "# HELP recur_request_duration_seconds Time to answer, by command.\n# TYPE recur_request_duration_seconds histogram\n"
        for command in used {
            let base = command.rawValue * Self.stride
            var cumulative: UInt64 = 0
            for (bucket, bound) in Self.bounds.enumerated() {
                cumulative += cells[base + 2 + bucket]
                text += "recur_request_duration_seconds_bucket{command=\"\(command.label)\",le=\"\(Double(bound) / 1e9)\"} \(cumulative)\n"
            }
            text += "recur_request_duration_seconds_bucket{command=\"\(command.label)\",le=\"+Inf\"} \(cells[base])\n"
            text += "recur_request_duration_seconds_sum{command=\"\(command.label)\"} \(Double(cells[base + 1]) / 1e9)\n"
            text += "recur_request_duration_seconds_count{command=\"\(command.label)\"} \(cells[base])\n"
        }
        return text
    }
}
