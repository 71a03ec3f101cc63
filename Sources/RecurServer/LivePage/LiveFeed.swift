import Foundation
import Logging
import NIOConcurrencyHelpers
import RecurCore

/// The live page's data, refreshed on a thread of its own (never on an event loop): the analytics
/// from PostgreSQL, the model in production beside the other versions, and the distribution of its
/// scores over a sample of the users held. `GET /v1/analytics/overview` answers the latest copy.
public final class LiveFeed: @unchecked Sendable {
    /// Users scored for the distribution; more would cost the server's cores for little.
    public static let scoreSample = 10_000
    private let service: ScoringService
    private let location: StoreLocation
    private let interval: Double
    private let logger: Logger
    private let latest = NIOLockedValueBox<[UInt8]>(Array(#"{"ready":false}"#.utf8))
    private let stopped = NIOLockedValueBox(false)
    private var store: Store?
    private var scores: (json: [UInt8], at: Date)?

    public init(service: ScoringService, location: StoreLocation, interval: Double = 2, logger: Logger) {
        self.service = service
        self.location = location
        self.interval = interval
        self.logger = logger
    }

    /// The newest overview, as JSON.
    public var overview: [UInt8] { latest.withLockedValue { $0 } }

    public func start() {
        let thread = Thread { [self] in
            while !stopped.withLockedValue({ $0 }) {
                refresh()
                Thread.sleep(forTimeInterval: interval)
            }
        }
        thread.name = "recur-live-feed"
        thread.start()
    }

    public func stop() { stopped.withLockedValue { $0 = true } }

    /// Builds one overview now (also what the tests call, to wait on an event rather than a clock).
    public func refresh() {
        var json = JSONWriter(capacity: 16_384)
        json.beginObject()
        json.field("ready", true)
        json.field("as_of", Timestamp.now.iso8601)
        writeModel(into: &json)
        if scores == nil || Date().timeIntervalSince(scores!.at) > 30 { scores = (scoreDistribution(), Date()) }
        json.key("scores")
        json.raw(scores!.json)
        do {
            if store == nil || store?.connection.isOpen != true { store = try Store.open(location, migrate: false) }
            AnalyticsOverview.write(into: &json, on: store!.connection)
        } catch {
            store = nil
            json.field("database_error", "\(error)".split(separator: "\n").first.map(String.init) ?? "unreachable")
            logger.warning("live page: database unreachable", metadata: ["error": "\(error)"])
        }
        json.endObject()
        let bytes = json.bytes
        latest.withLockedValue { $0 = bytes }
    }

    private func writeModel(into json: inout JSONWriter) {
        let served = service.model
        json.key("model")
        json.beginObject()
        json.field("version", served.version)
        json.field("kind", served.artifact.kind.rawValue)
        json.field("feature_set", served.set.reference)
        json.key("versions")
        json.beginArray()
        for metadata in ((try? service.registry.list()) ?? []).sorted(by: { $0.createdAt < $1.createdAt }) {
            json.beginObject()
            json.field("version", metadata.version)
            json.field("kind", metadata.kind.rawValue)
            json.field("serving", metadata.version == served.version)
            json.field("horizon", metadata.horizon)
            json.field("created_at", metadata.createdAt)
            json.field("holdout_rows", metadata.holdout.rows)
            json.field("roc_auc", metadata.holdout.rocAUC)
            json.field("pr_auc", metadata.holdout.prAUC)
            json.field("log_loss", metadata.holdout.logLoss)
            json.field("brier", metadata.holdout.brier)
            json.field("ece", metadata.holdout.calibrationError)
            json.field("lift_top_decile", metadata.holdout.liftTopDecile)
            json.endObject()
        }
        json.endArray()
        json.endObject()
    }

    /// 20 bins of width 0.05 over the sample's scores now, with the sample's size beside the users held.
    private func scoreDistribution() -> [UInt8] {
        let users = service.sampleUsers(limit: Self.scoreSample)
        var bins = [Int](repeating: 0, count: 20)
        var total = 0.0, scored = 0
        for user in users {
            guard let score = try? service.score(user) else { continue }
            bins[min(19, max(0, Int(score.probability * 20)))] += 1
            total += score.probability
            scored += 1
        }
        var json = JSONWriter(capacity: 512)
        json.beginObject()
        json.field("users", service.userCount)
        json.field("sample", scored)
        json.field("sampled", scored < service.userCount)
        json.field("mean", scored > 0 ? total / Double(scored) : .nan)
        json.key("bins")
        json.beginArray()
        for (index, count) in bins.enumerated() {
            json.beginObject()
            json.field("from", Double(index) / 20)
            json.field("to", Double(index + 1) / 20)
            json.field("count", count)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return json.bytes
    }
}
