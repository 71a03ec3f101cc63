import Foundation
import Logging
import NIOConcurrencyHelpers

/// Polls the models folder's aliases (and reloads on demand, e.g. SIGHUP) so that a promotion is
/// served without a restart; a model that fails its checks is refused and the current one stays.
public final class ModelWatcher: @unchecked Sendable {
    private let service: ScoringService
    private let logger: Logger
    private let running = NIOLockedValueBox(true)

    public init(service: ScoringService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    public func start(every seconds: Double = 1) {
        let thread = Thread { [self] in
            var refused: String?
            while self.running.withLockedValue({ $0 }) {
                Thread.sleep(forTimeInterval: seconds)
                let attempt = (try? self.service.registry.resolve(self.service.modelReference)) ?? ""
                if attempt == refused { continue }
                if case .failure = self.reload() { refused = attempt } else { refused = nil }
            }
        }
        thread.name = "recur-model-watcher"
        thread.start()
    }

    /// Reloads now; logs the outcome.
    @discardableResult
    public func reload() -> Result<String, Error> {
        let before = service.model.version
        let result = service.reloadModel()
        switch result {
        case .success(let version) where version != before:
            logger.info("now serving model", metadata: ["version": "\(version)", "previous": "\(before)"])
        case .failure(let error):
            logger.error("refused new model, still serving the previous one", metadata: ["serving": "\(before)", "error": "\(error)"])
        default: break
        }
        return result
    }

    public func stop() { running.withLockedValue { $0 = false } }
}
