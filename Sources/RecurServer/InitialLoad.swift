import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers
import Postgres
import RecurCore

/// The server's first load of `user_features`: rows streamed with binary COPY (never the whole
/// table in memory at once, states as raw bytes rather than hex) and decoded on every core while
/// the next batch is read.
struct InitialLoad {
    let service: ScoringService
    let logger: Logger
    /// Rows handed to the decoding threads at a time.
    var batchRows = 16_384

    /// What the load saw: the newest update stamp. The service counts the users.
    struct Outcome {
        /// Rows that were not (text, bytea, float8): none unless the table was changed by hand.
        var unreadable = 0
        var newest: Double?
    }

    @discardableResult
    func run(_ c: Connection) throws -> Outcome {
        let set = service.set
        let expected =
            try c.query("SELECT count(*) FROM user_features WHERE set_name = $1 AND set_version = $2", [set.name, set.version])
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
            for part in rows.parts(threads) {
                DispatchQueue.global().async(group: group) {
                    let decoded = rows.decode(part)
                    let failures = service.update(decoded.changes, newest: decoded.newest)
                    for failure in failures {
                        logger.error("skipping unreadable feature state", metadata: ["user": "\(failure.user)", "error": "\(failure.error)"])
                    }
                    outcome.withLockedValue { total in
                        total.unreadable += decoded.unreadable
                        if let newest = decoded.newest { total.newest = max(total.newest ?? newest, newest) }
                    }
                }
            }
            pending = group
        }
        // COPY takes no parameters; both literals are escaped by libpq.
        let sql = """
            COPY (SELECT user_id, state, extract(epoch FROM updated_at)::float8 FROM user_features
                  WHERE set_name = \(try c.quoteLiteral(set.name)) AND set_version = \(set.version)) TO STDOUT (FORMAT binary)
            """
        var first = true
        try c.copyOut(sql) { message in
            var row = message
            if first {
                first = false
                guard let body = CopyBinary.skipHeader(message) else {
                    throw ServerError.unreadableLoad("COPY from user_features did not start with the binary header")
                }
                row = body
            }
            guard !row.isEmpty else { return }
            batch.append(row)
            if batch.count >= batchRows { flush() }
        }
        flush()
        pending?.wait()
        let result = outcome.withLockedValue { $0 }
        if result.unreadable > 0 {
            logger.error("skipped rows of user_features that are not (user_id text, state bytea)", metadata: ["rows": "\(result.unreadable)"])
        }
        return result
    }
}

/// COPY rows end to end in one buffer: one allocation per batch, not one per row.
struct RowBatch: Sendable {
    private var bytes: [UInt8] = []
    private var ends: [Int] = []

    var count: Int { ends.count }

    mutating func append(_ row: UnsafeRawBufferPointer) {
        bytes.append(contentsOf: row)
        ends.append(bytes.count)
    }

    /// About equal consecutive ranges of rows, one per decoding thread (the batch is shared, not copied).
    func parts(_ count: Int) -> [Range<Int>] {
        let size = max(1, (self.count + count - 1) / max(1, count))
        return stride(from: 0, to: self.count, by: size).map { $0..<min(self.count, $0 + size) }
    }

    /// The user and state bytes of the rows in `range`; the trailer and rows that are not
    /// (text, bytea, float8) are skipped.
    func decode(_ range: Range<Int>) -> (changes: [(user: String, state: [UInt8])], newest: Double?, unreadable: Int) {
        var changes = [(user: String, state: [UInt8])]()
        var unreadable = 0
        changes.reserveCapacity(range.count)
        var newest: Double?
        bytes.withUnsafeBytes { all in
            var start = range.lowerBound == 0 ? 0 : ends[range.lowerBound - 1]
            for end in ends[range] {
                let row = UnsafeRawBufferPointer(rebasing: all[start..<end])
                start = end
                guard let (user, state, stamp) = CopyBinary.userRow(row) else {
                    if !CopyBinary.isTrailer(row) { unreadable += 1 }
                    continue
                }
                newest = max(newest ?? stamp, stamp)
                changes.append((user, state))
            }
        }
        return (changes, newest, unreadable)
    }
}

extension CopyBinary {
    /// (user, state, stamp) from a row of (text, bytea, float8); nil for the trailer or anything else.
    static func userRow(_ row: UnsafeRawBufferPointer) -> (String, [UInt8], Double)? {
        var fields = CopyBinaryFields(row)
        guard fields.count == 3, let user = try? fields.next(), let state = try? fields.next(), let stamp = try? fields.next(),
            stamp.count == 8, fields.isAtEnd
        else { return nil }
        return (String(decoding: user, as: UTF8.self), Array(state), Double(bitPattern: UInt64(bitPattern: int64(stamp, at: 0))))
    }
}
