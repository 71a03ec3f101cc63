import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import RecurCore

/// The server's first load of `user_features`: rows streamed with COPY (never the whole table in
/// memory at once) and decoded on every core while the next batch is read.
struct InitialLoad {
    let service: ScoringService
    let logger: Logger
    /// Rows handed to the decoding threads at a time.
    var batchRows = 16_384

    /// What the load saw: rows applied, the newest update stamp, and the users stamped after
    /// `recentAfter` with their stamps (the catch-up that follows may see them again).
    struct Outcome {
        var loaded = 0
        var newest: Double?
        var recent: [String: Double] = [:]
    }

    func run(_ c: Connection, recentAfter: Double) throws -> Outcome {
        let set = service.set
        let expected = try c.query("SELECT count(*) FROM user_features WHERE set_name = $1 AND set_version = $2", [set.name, set.version])
            .rows.first?.require(Int.self, 0) ?? 0
        service.beginLoading(expected: expected)
        let outcome = NIOLockedValueBox(Outcome())
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount)
        var batch = RowBatch()
        var pending: DispatchGroup?
        func flush() {
            pending?.wait()
            let rows = batch
            batch = RowBatch()
            let group = DispatchGroup()
            let parts = rows.split(into: threads)
            for part in parts {
                DispatchQueue.global().async(group: group) {
                    let decoded = part.decode(recentAfter: recentAfter)
                    let failures = service.update(decoded.changes, newest: decoded.newest)
                    for failure in failures {
                        logger.error("skipping unreadable feature state", metadata: ["user": "\(failure.user)", "error": "\(failure.error)"])
                    }
                    outcome.withLockedValue { total in
                        total.loaded += decoded.changes.count - failures.count
                        if let newest = decoded.newest { total.newest = max(total.newest ?? newest, newest) }
                        total.recent.merge(decoded.recent) { $1 }
                    }
                }
            }
            pending = group
        }
        // COPY takes no parameters; both literals are escaped by libpq.
        let sql = """
            COPY (SELECT user_id, state, extract(epoch FROM updated_at)::float8 FROM user_features
                  WHERE set_name = \(try c.quoteLiteral(set.name)) AND set_version = \(set.version)) TO STDOUT
            """
        try c.copyOut(sql) { row in
            batch.append(row)
            if batch.count >= batchRows { flush() }
        }
        flush()
        pending?.wait()
        return outcome.withLockedValue { $0 }
    }
}

/// COPY text rows end to end in one buffer: one allocation per batch, not one per row.
struct RowBatch: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    var count: Int { ends.count }

    mutating func append(_ row: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: row)
        ends.append(bytes.count)
    }

    /// About equal consecutive parts.
    func split(into parts: Int) -> [RowBatch] {
        let size = (count + parts - 1) / max(1, parts)
        return stride(from: 0, to: count, by: max(1, size)).map { first in
            let last = min(count, first + size)
            let start = first == 0 ? 0 : ends[first - 1]
            var part = RowBatch()
            part.bytes = Array(bytes[start..<ends[last - 1]])
            part.ends = ends[first..<last].map { $0 - start }
            return part
        }
    }

    /// Each row's user and state bytes; rows that are not `user \t \\xHEX \t stamp` are skipped.
    func decode(recentAfter: Double) -> (changes: [(user: String, state: [UInt8])], newest: Double?, recent: [String: Double]) {
        var changes = [(user: String, state: [UInt8])]()
        changes.reserveCapacity(count)
        var newest: Double?
        var recent = [String: Double]()
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for end in ends {
                let row = UnsafeBufferPointer(rebasing: all[start..<(end > start && all[end - 1] == 10 ? end - 1 : end)])
                start = end
                guard let firstTab = row.firstIndex(of: 9), let lastTab = row.lastIndex(of: 9), firstTab < lastTab else { continue }
                let user = CopyText.unescape(UnsafeBufferPointer(rebasing: row[..<firstTab]))
                guard let state = CopyText.bytea(UnsafeBufferPointer(rebasing: row[(firstTab + 1)..<lastTab])) else { continue }
                let stamp = Double(String(decoding: UnsafeBufferPointer(rebasing: row[(lastTab + 1)...]), as: UTF8.self)) ?? 0
                newest = max(newest ?? stamp, stamp)
                if stamp > recentAfter { recent[user] = stamp }
                changes.append((user, state))
            }
        }
        return (changes, newest, recent)
    }
}

/// PostgreSQL's COPY text format, read back.
enum CopyText {
    /// A text field: `\\` and the control-character escapes PostgreSQL writes become their bytes.
    static func unescape(_ field: UnsafeBufferPointer<UInt8>) -> String {
        guard field.contains(92) else { return String(decoding: field, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(field.count)
        var index = 0
        while index < field.count {
            let byte = field[index]
            index += 1
            guard byte == 92, index < field.count else { out.append(byte); continue }
            let next = field[index]
            index += 1
            switch next {
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "v"): out.append(11)
            default: out.append(next)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A bytea field in hex output, `\\x` then two digits a byte (the backslash itself escaped).
    static func bytea(_ field: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard field.count >= 3, field[0] == 92, field[1] == 92, field[2] == UInt8(ascii: "x"), (field.count - 3) % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity((field.count - 3) / 2)
        var index = 3
        while index < field.count {
            guard let high = nibble(field[index]), let low = nibble(field[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: c - 48
        case 97...102: c - 87
        case 65...70: c - 55
        default: nil
        }
    }
}
