import Foundation

/// Writes generated events as CSV (with header) or JSON Lines, buffered, to a file or stdout.
public struct GeneratedEventWriter {
    /// The file format of the output.
    public enum Format: String, Sendable, CaseIterable { case csv, jsonl }

    public static let columns = ["event_id", "user_id", "ts", "event_type", "amount", "quantity", "product_id", "session_id", "category", "device"]

    let format: Format
    let seed: UInt64

    public init(format: Format, seed: UInt64) {
        self.format = format
        self.seed = seed
    }

    /// Writes every row; returns how many were written.
    @discardableResult
    public func write(_ rows: [EventGenerator.Row], to output: OutputFile) throws -> Int {
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        if format == .csv { buffer.append(contentsOf: Array((Self.columns.joined(separator: ",") + "\n").utf8)) }
        for row in rows {
            append(row, to: &buffer)
            if buffer.count >= 1 << 20 {
                try output.write(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        try output.write(buffer)
        return rows.count
    }

    /// One row as a JSON object without the newline: the message `recur events produce` publishes.
    public func jsonRecord(_ row: EventGenerator.Row) -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(256)
        GeneratedEventWriter(format: .jsonl, seed: seed).append(row, to: &buffer)
        buffer.removeLast()
        return buffer
    }

    func append(_ row: EventGenerator.Row, to buffer: inout [UInt8]) {
        let eventID = "ev\(seed)-\(row.serial)"
        let user = EventGenerator.userID(row.user)
        let time = Timestamp(microseconds: row.timestamp / 1_000_000 * 1_000_000).iso8601
        let amount = row.type.requiresAmount ? Self.money(row.amountCents) : nil
        let product = "p\(row.product)"
        let session = "s\(row.user)-\(row.session & 0xFFF)"
        switch format {
        case .csv:
            let fields = [eventID, user, time, row.type.rawValue, amount ?? "", String(row.quantity), product, session, row.category, row.deviceName]
            buffer.append(contentsOf: Array(fields.joined(separator: ",").utf8))
        case .jsonl:
            var text = "{\"event_id\":\"\(eventID)\",\"user_id\":\"\(user)\",\"ts\":\"\(time)\",\"event_type\":\"\(row.type.rawValue)\""
            if let amount { text += ",\"amount\":\(amount)" }
            text += ",\"quantity\":\(row.quantity),\"product_id\":\"\(product)\",\"session_id\":\"\(session)\",\"category\":\"\(row.category)\",\"device\":\"\(row.deviceName)\"}"
            buffer.append(contentsOf: Array(text.utf8))
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    static func money(_ cents: Int32) -> String {
        let fraction = cents % 100
        return "\(cents / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
    }
}

/// A file (or stdout) opened for writing; owns the descriptor and closes it when released.
public final class OutputFile {
    let descriptor: Int32
    let ownsDescriptor: Bool
    public let path: String

    /// Opens `path` for writing, truncating it; `-` means standard output.
    public init(path: String) throws {
        self.path = path
        if path == "-" {
            descriptor = 1
            ownsDescriptor = false
        } else {
            descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            guard descriptor >= 0 else { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            ownsDescriptor = true
        }
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw FileError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            offset += written
        }
    }
}

/// A file that could not be opened, read or written.
public enum FileError: Error, CustomStringConvertible {
    case cannotOpen(path: String, reason: String)
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason): "cannot open \(path): \(reason)"
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason): "cannot write \(path): \(reason)"
        }
    }
}
