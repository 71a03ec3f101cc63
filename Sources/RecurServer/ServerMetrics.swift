import Atomics
import NIOConcurrencyHelpers
import Prometheus
import RecurCore

/// Per-command request counts and latency histograms, feature freshness and the served model,
/// rendered in Prometheus text format for `--metrics-port`. Gauges come from swift-prometheus; the
/// request counts are `RequestTally`, which connections add into once per read.
public final class ServerMetrics: @unchecked Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let requests = NIOLockedValueBox(RequestTally())

    public init() {}

    /// Set before serving: the drift figures to export.
    public var drift: DriftGauges?

    /// Wrong tokens and passwords, over both protocols.
    private let authFailureCount = ManagedAtomic(0)
    func authFailed() { authFailureCount.wrappingIncrement(ordering: .relaxed) }
    var authFailures: Int { authFailureCount.load(ordering: .relaxed) }

    /// Adds a connection's tally into the totals and clears it.
    func add(_ tally: inout RequestTally) {
        guard !tally.isEmpty else { return }
        let local = tally
        requests.withLockedValue { $0.add(local) }
        tally.clear()
    }

    var total: Int { Int(requests.withLockedValue { $0.total }) }

    static func name(_ metric: String, _ help: String) -> MetricNameDescriptor {
        // Empty components are skipped when the name is joined, so the full name can be given here.
        MetricNameDescriptor(metricName: metric, unitName: "", helpText: help)
    }

    /// The text a scrape gets, with freshness and model read at scrape time.
    public func render(service: ScoringService, status: ServerStatus? = nil) -> String {
        let fresh = service.freshness
        registry.makeGauge(descriptor: Self.name("recur_build_info", "The recur build serving."), labels: [("version", RecurVersion.current)]).set(to: 1)
        if let status {
            registry.makeGauge(descriptor: Self.name("recur_connected_clients", "Open connections, line protocol and HTTP.")).set(
                to: Double(status.connectedClients))
            total("recur_connections_received_total", "Connections accepted since start.", status.connectionsReceived)
            total("recur_connections_rejected_total", "Connections refused over --max-clients since start.", status.connectionsRejected)
        }
        registry.makeGauge(descriptor: Self.name("recur_feature_update_age_seconds", "Age of the newest feature update held in memory.")).set(
            to: fresh.updateAge.isFinite ? fresh.updateAge : -1)
        registry.makeGauge(descriptor: Self.name("recur_feature_catch_up_age_seconds", "Seconds since features were last checked against the database.")).set(
            to: fresh.catchUpAge)
        registry.makeGauge(descriptor: Self.name("recur_users_loaded", "Users whose feature state is in memory.")).set(to: Double(service.userCount))
        registry.makeGauge(descriptor: Self.name("recur_model_info", "The model version being served."), labels: [("version", service.model.version)]).set(
            to: 1)
        total("recur_auth_failures_total", "Wrong tokens or passwords (AUTH, HELLO AUTH, HTTP Bearer).", authFailures)
        if let drift {
            for (model, feature, psi, drifted) in drift.values where model == service.model.version {
                registry.makeGauge(
                    descriptor: Self.name(
                        "recur_feature_drift_psi",
                        "PSI of a feature (or `score`) against the served model's training rows, as `recur monitor drift` last measured."),
                    labels: [("feature", feature)]
                ).set(to: psi)
                registry.makeGauge(
                    descriptor: Self.name("recur_feature_drifted", "1 when `recur monitor drift`'s test found the feature drifted."),
                    labels: [("feature", feature)]
                ).set(to: drifted ? 1 : 0)
            }
        }
        if let log = service.servedLog {
            total("recur_served_log_written_total", "Sampled answers written to served_log.", log.written)
            total("recur_served_log_dropped_total", "Sampled answers dropped because the log's queue was full.", log.dropped)
        }
        return registry.emitToString() + requests.withLockedValue { $0.prometheusText() }
    }

    /// A counter kept elsewhere (an atomic, a status field), set to its value at scrape time.
    private func total(_ metric: String, _ help: String, _ value: Int) {
        let counter = registry.makeCounter(descriptor: Self.name(metric, help))
        counter.reset()
        counter.increment(by: Int64(value))
    }
}
