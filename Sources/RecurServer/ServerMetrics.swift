import NIOConcurrencyHelpers
import Prometheus

/// Per-command request counts and latency histograms, feature freshness and the served model,
/// rendered in Prometheus text format for `--metrics-port`.
public final class ServerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let lock = NIOLock()
    private var counters: [String: Counter] = [:]
    private var histograms: [String: DurationHistogram] = [:]
    private let buckets: [Duration] = [.microseconds(10), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
                                       .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100)]

    public init() {}

    /// The counter and histogram of a command; connections cache them so the hot path takes no lock here.
    func instruments(_ command: String) -> (Counter, DurationHistogram) {
        lock.withLock { () -> (Counter, DurationHistogram) in
            if let c = counters[command], let h = histograms[command] { return (c, h) }
            let c = registry.makeCounter(descriptor: Self.name("recur_requests_total", "Requests by command."), labels: [("command", command)])
            let h = registry.makeDurationHistogram(descriptor: Self.name("recur_request_duration_seconds", "Time to answer, by command."), labels: [("command", command)], buckets: buckets)
            counters[command] = c
            histograms[command] = h
            return (c, h)
        }
    }

    static func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
        // Empty components are skipped when the name is joined, so the full name can be given here.
        MetricNameDescriptor(metricName: metric, unitName: "", helpText: help)
    }

    private let totalBox = NIOLockedValueBox(0)
    func add(_ n: Int) { totalBox.withLockedValue { $0 += n } }
    var total: Int { totalBox.withLockedValue { $0 } }

    /// The text a scrape gets, with freshness and model read at scrape time.
    public func render(service: ScoringService) -> String {
        let fresh = service.freshness
        registry.makeGauge(descriptor: Self.name("recur_feature_update_age_seconds", "Age of the newest feature update held in memory.")).set(to: fresh.updateAge.isFinite ? fresh.updateAge : -1)
        registry.makeGauge(descriptor: Self.name("recur_feature_catch_up_age_seconds", "Seconds since features were last checked against the database.")).set(to: fresh.catchUpAge)
        registry.makeGauge(descriptor: Self.name("recur_users_loaded", "Users whose feature state is in memory.")).set(to: Double(service.userCount))
        registry.makeGauge(descriptor: Self.name("recur_model_info", "The model version being served."), labels: [("version", service.model.version)]).set(to: 1)
        return registry.emitToString()
    }
}
