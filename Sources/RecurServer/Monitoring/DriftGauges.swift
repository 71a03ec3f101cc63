import Foundation
import Logging
import NIOConcurrencyHelpers
import RecurCore

/// The drift `recur monitor drift` last measured for the served model, read from `drift_results`
/// every 30 s on a thread of its own, for the metrics endpoint.
public final class DriftGauges: @unchecked Sendable {
    private let location: StoreLocation
    private let logger: Logger
    private let latest = NIOLockedValueBox<[(model: String, feature: String, psi: Double, drifted: Bool)]>([])
    private let stopped = NIOLockedValueBox(false)

    public init(location: StoreLocation, logger: Logger) {
        self.location = location
        self.logger = logger
    }

    var values: [(model: String, feature: String, psi: Double, drifted: Bool)] { latest.withLockedValue { $0 } }

    public func start() {
        let thread = Thread { [self] in
            var store: Store?
            while !stopped.withLockedValue({ $0 }) {
                do {
                    if store == nil || store?.connection.isOpen != true { store = try Store.open(location, migrate: false) }
                    let rows = try DriftCheck.saved(on: store!.connection)
                    latest.withLockedValue { $0 = rows }
                } catch {
                    store = nil
                }
                Thread.sleep(forTimeInterval: 30)
            }
        }
        thread.name = "recur-drift-gauges"
        thread.start()
    }

    public func stop() { stopped.withLockedValue { $0 = true } }
}
