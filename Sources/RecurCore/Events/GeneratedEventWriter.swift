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
        try write(to: output) { batch in try batch(rows) }
        return rows.count
    }

    /// Generates and writes every row of `generator` with bounded memory (see `streamRows`);
    /// returns how many were written.
    @discardableResult
    public func write(generating generator: EventGenerator, to output: OutputFile) throws -> Int {
        var count = 0
        try write(to: output) { batch in count = try generator.streamRows(batch) }
        return count
    }

    /// The header, then each batch `produce` hands over, through one buffer flushed every megabyte.
    private func write(to output: OutputFile, _ produce: (_ batch: ([EventGenerator.Row]) throws -> Void) throws -> Void) throws {
        var buffer = [UInt8]()
        buffer.reserveCapacity(1 << 20)
        if format == .csv { buffer.append(contentsOf: Array((Self.columns.joined(separator: ",") + "\n").utf8)) }
        try produce { rows in
            for row in rows {
                append(row, to: &buffer)
                if buffer.count >= 1 << 20 {
                    try output.write(buffer)
                    buffer.removeAll(keepingCapacity: true)
                }
            }
        }
        try output.write(buffer)
    }

    /// One row as a JSON object without the newline: the message `recur events produce` publishes.
    public func jsonRecord(_ row: EventGenerator.Row) -> [UInt8] {
        var buffer = [UInt8]()
        buffer.reserveCapacity(256)
        GeneratedEventWriter(format: .jsonl, seed: seed).append(row, to: &buffer)
        buffer.removeLast()
        return buffer
    }

    /// Written byte by byte rather than through string interpolation, which was most of the producer's time.
    func append(_ row: EventGenerator.Row, to buffer: inout [UInt8]) {
        let json = format == .jsonl
        func key(_ name: StaticString, first: Bool = false) {
            guard json else {
                if !first { buffer.append(UInt8(ascii: ",")) }
                return
            }
            buffer.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            buffer.append(UInt8(ascii: "\""))
            buffer.append(contentsOf: UnsafeBufferPointer(start: name.utf8Start, count: name.utf8CodeUnitCount))
            buffer.append(contentsOf: [UInt8(ascii: "\""), UInt8(ascii: ":")])
        }
        func quote() { if json { buffer.append(UInt8(ascii: "\"")) } }
        func text(_ value: String) { quote(); buffer.append(contentsOf: value.utf8); quote() }

        key("event_id", first: true)
        quote(); buffer.append(contentsOf: [UInt8(ascii: "e"), UInt8(ascii: "v")])
        Self.digits(Int64(seed), into: &buffer); buffer.append(UInt8(ascii: "-")); Self.digits(row.serial, into: &buffer); quote()
        key("user_id")
        quote(); Self.userID(row.user, into: &buffer); quote()
        key("ts")
        quote(); Self.iso8601(Timestamp(microseconds: row.timestamp / 1_000_000 * 1_000_000), into: &buffer); quote()
        key("event_type")
        text(row.type.rawValue)
        if row.type.requiresAmount {
            key("amount")
            Self.money(row.amountCents, into: &buffer)
        } else if !json {
            buffer.append(UInt8(ascii: ","))
        }
        key("quantity")
        Self.digits(Int64(row.quantity), into: &buffer)
        key("product_id")
        quote(); buffer.append(UInt8(ascii: "p")); Self.digits(Int64(row.product), into: &buffer); quote()
        key("session_id")
        quote(); buffer.append(UInt8(ascii: "s")); Self.digits(Int64(row.user), into: &buffer)
        buffer.append(UInt8(ascii: "-")); Self.digits(Int64(row.session & 0xFFF), into: &buffer); quote()
        key("category")
        text(row.category)
        key("device")
        text(row.deviceName)
        if json { buffer.append(UInt8(ascii: "}")) }
        buffer.append(UInt8(ascii: "\n"))
    }

    static func digits(_ value: Int64, minimumWidth: Int = 1, into buffer: inout [UInt8]) {
        if value < 0 { buffer.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var width = 1, power: UInt64 = 10
        while width < 19, magnitude >= power { width += 1; power *= 10 }
        if magnitude >= power { width += 1 }
        width = max(width, minimumWidth)
        let start = buffer.count
        buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: width))
        var index = start + width - 1
        while magnitude > 0 {
            buffer[index] = UInt8(48 + magnitude % 10)
            magnitude /= 10
            index -= 1
        }
    }

    public static func userID(_ user: Int32, into buffer: inout [UInt8]) { digits(Int64(user), minimumWidth: 12, into: &buffer) }

    static func iso8601(_ time: Timestamp, into buffer: inout [UInt8]) {
        let c = time.civil
        digits(Int64(c.year), minimumWidth: 4, into: &buffer); buffer.append(UInt8(ascii: "-"))
        digits(Int64(c.month), minimumWidth: 2, into: &buffer); buffer.append(UInt8(ascii: "-"))
        digits(Int64(c.day), minimumWidth: 2, into: &buffer); buffer.append(UInt8(ascii: "T"))
        digits(Int64(c.hour), minimumWidth: 2, into: &buffer); buffer.append(UInt8(ascii: ":"))
        digits(Int64(c.minute), minimumWidth: 2, into: &buffer); buffer.append(UInt8(ascii: ":"))
        digits(Int64(c.second), minimumWidth: 2, into: &buffer)
        if c.microsecond != 0 { buffer.append(UInt8(ascii: ".")); digits(Int64(c.microsecond), minimumWidth: 6, into: &buffer) }
        buffer.append(UInt8(ascii: "Z"))
    }

    static func money(_ cents: Int32, into buffer: inout [UInt8]) {
        digits(Int64(cents / 100), into: &buffer)
        buffer.append(UInt8(ascii: "."))
        digits(Int64(cents % 100), minimumWidth: 2, into: &buffer)
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
