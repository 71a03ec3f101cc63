import Dispatch

/// One batch's states written on the states connection and prepared, on a background queue while the
/// batch's connection stores its events.
///
/// The state writer is handed over until `wait()` returns: nothing else touches it, its cache or its
/// connection meanwhile. That is why this type may be `@unchecked Sendable`.
final class StateJob: @unchecked Sendable {
    private let states: StateWriter
    private let events: [Event]
    private let name: String
    private var outcome: Result<StateWriter.Outcome, Error>?
    private let done = DispatchSemaphore(value: 0)

    init(states: StateWriter, events: [Event], name: String) {
        self.states = states
        self.events = events
        self.name = name
    }

    func start(on queue: DispatchQueue) {
        queue.async { [self] in
            outcome = Result { try run() }
            done.signal()
        }
    }

    func wait() -> Result<StateWriter.Outcome, Error> {
        done.wait()
        return outcome!
    }

    /// Writes and prepares the states transaction `name`; on failure nothing is left prepared.
    func run() throws -> StateWriter.Outcome {
        let c = states.connection
        try c.execute("BEGIN")
        do {
            let written = try states.write(events)
            try c.execute("PREPARE TRANSACTION \(try c.quoteLiteral(name))")
            return written
        } catch {
            _ = try? c.execute("ROLLBACK")
            throw error
        }
    }
}
