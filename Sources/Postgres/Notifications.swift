import CLibPQ
import Foundation

/// One message from NOTIFY.
public struct Notification: Sendable, Equatable {
    public let channel: String
    public let payload: String
    public let senderPID: Int32
}

extension Connection {
    /// Subscribes this connection to `channel`.
    public func listen(_ channel: String) throws(PostgresError) {
        try execute("LISTEN \(try quoteIdentifier(channel))")
    }

    /// Sends `payload` to every connection listening on `channel` (delivered when the transaction commits).
    public func notify(_ channel: String, payload: String) throws(PostgresError) {
        try query("SELECT pg_notify($1, $2)", [channel, payload])
    }

    /// Waits up to `timeout` seconds for notifications and returns those that arrived (possibly none).
    /// Throws when the connection is lost, so a listener knows to reconnect and catch up.
    public func notifications(timeout: Double) throws(PostgresError) -> [Notification] {
        var received = drainNotifications()
        if !received.isEmpty { return received }
        let socket = PQsocket(handle)
        guard socket >= 0 else {
            throw PostgresError(origin: .connection, message: "connection has no socket", context: "waiting for notifications")
        }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        let ready = poll(&descriptor, 1, Int32(max(0, timeout * 1000)))
        if ready > 0 {
            guard PQconsumeInput(handle) == 1 else {
                throw PostgresError.from(result: nil, connection: handle, context: "waiting for notifications")
            }
            received = drainNotifications()
        }
        return received
    }

    private func drainNotifications() -> [Notification] {
        _ = PQconsumeInput(handle)
        var received: [Notification] = []
        while let pointer = PQnotifies(handle) {
            let notify = pointer.pointee
            received.append(
                Notification(
                    channel: String(cString: notify.relname),
                    payload: String(cString: notify.extra),
                    senderPID: notify.be_pid))
            PQfreemem(pointer)
        }
        return received
    }
}
