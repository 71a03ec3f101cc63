import Atomics
import Dispatch

/// Server-wide facts that `INFO`, `HELLO` and `CLIENT` report: connections now and since start,
/// the port, the limits. Atomics, so that connections on any event loop update them without a lock.
public final class ServerStatus: Sendable {
    public let maximumConnections: Int
    public let threads: Int
    private let connected = ManagedAtomic(0)
    private let received = ManagedAtomic(0)
    private let rejected = ManagedAtomic(0)
    private let closed = ManagedAtomic(0)
    private let lastID = ManagedAtomic(0)
    private let boundPort = ManagedAtomic(0)
    private let startedNanoseconds = DispatchTime.now().uptimeNanoseconds

    public init(maximumConnections: Int, threads: Int) {
        self.maximumConnections = maximumConnections
        self.threads = threads
    }

    /// Counts a new connection in, unless the limit is reached; returns its client id, or nil.
    func admit() -> Int? {
        var current = connected.load(ordering: .relaxed)
        while current < maximumConnections {
            let (exchanged, original) = connected.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged {
                received.wrappingIncrement(ordering: .relaxed)
                return lastID.wrappingIncrementThenLoad(ordering: .relaxed)
            }
            current = original
        }
        rejected.wrappingIncrement(ordering: .relaxed)
        return nil
    }

    func release() {
        connected.wrappingDecrement(ordering: .acquiringAndReleasing)
        closed.wrappingIncrement(ordering: .relaxed)
    }

    /// Connections closed since start: the trimmer gives their buffers back to the system when it moves.
    var connectionsClosed: Int { closed.load(ordering: .relaxed) }

    var port: Int {
        get { boundPort.load(ordering: .relaxed) }
        set { boundPort.store(newValue, ordering: .relaxed) }
    }

    public var connectedClients: Int { connected.load(ordering: .relaxed) }
    public var connectionsReceived: Int { received.load(ordering: .relaxed) }
    public var connectionsRejected: Int { rejected.load(ordering: .relaxed) }
    public var uptimeSeconds: Int { Int((DispatchTime.now().uptimeNanoseconds - startedNanoseconds) / 1_000_000_000) }
}
