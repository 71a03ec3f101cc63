import NIOConcurrencyHelpers
import RecurCore

/// Every user's online state, split over shards that each have their own lock, so that event
/// loops on different cores almost never wait for each other (one lock measured as futex
/// wake-ups and context switches under `redis-benchmark -P 16`).
///
/// Each user's current feature span is flattened into a row of a shard's `RowBlock`: answering
/// "as of now" touches an index entry and one contiguous row, not a chain of heap objects. The
/// full state stays beside it, encoded, for when the span runs out.
final class OnlineUserTable: @unchecked Sendable {
    /// What a lookup found.
    enum Lookup {
        /// The features were written.
        case written
        /// The stored span ends before the time asked: refold from this encoded state, then `renew`.
        case expired([UInt8], generation: UInt32)
        case unknown
    }

    /// What a scoring lookup found.
    enum ScoreLookup {
        case scored(Double)
        case expired([UInt8], generation: UInt32)
        case unknown
    }

    /// Words after the span in each row: a remembered score of a step-function model, valid for
    /// as-of times in [from, until): model serial (0 = none), from, until, probability bits.
    static let memoWords = 4

    private final class Shard: @unchecked Sendable {
        let lock = NIOLock()
        /// Row numbers as 32 bits: a shard never holds 4 billion users, and the dictionary's values
        /// take half the room (about 5 bytes per user).
        var rowOf: [String: UInt32] = [:]
        var states = StateArena()
        /// Bumped each time a user's state is replaced, so a late renewal cannot undo a newer state.
        var generations: [UInt32] = []
        let rows: RowBlock
        init(width: Int) { rows = RowBlock(width: width) }
    }

    let layout: FeatureValueSpan.RowLayout
    private let shards: [Shard]
    private let mask: Int

    /// `shardCount` is rounded up to a power of two.
    init(set: FeatureSet, shardCount: Int = 16) {
        layout = FeatureValueSpan.RowLayout(set: set)
        var n = 1
        while n < shardCount { n <<= 1 }
        shards = (0..<n).map { [layout] _ in Shard(width: layout.width + Self.memoWords) }
        mask = n - 1
    }

    /// Up to `limit` user ids, taken evenly from the shards (in no particular order): the live page's
    /// score distribution is drawn over them.
    func sampleUsers(limit: Int) -> [String] {
        let each = max(1, limit / shards.count)
        var users = [String]()
        for shard in shards { users += shard.lock.withLock { Array(shard.rowOf.keys.prefix(each)) } }
        return Array(users.prefix(limit))
    }

    /// FNV-1a of the id's bytes: cheap, and independent of the dictionaries' per-process seed.
    private func shard(_ user: String) -> Shard {
        shards[Int(truncatingIfNeeded: FNV1a.hash(user.utf8)) & mask]
    }

    /// Writes the user's features as of `t` into `out` when the stored span covers `t`.
    func write(_ user: String, asOf t: Timestamp, into out: UnsafeMutableBufferPointer<Double>) -> Lookup {
        let shard = shard(user)
        return shard.lock.withLock {
            guard let row = shard.rowOf[user].map(Int.init) else { return .unknown }
            if layout.write(row: shard.rows.row(row), asOf: t, into: out) { return .written }
            return .expired(shard.states.state(row), generation: shard.generations[row])
        }
    }

    /// The user's score as of `t` from `model`: the remembered one when it is still exactly right,
    /// else `compute` on the features written into `out`, remembered when the model says for how
    /// long it stays the same (a tree ensemble's score only moves when a feature passes a split).
    func score(
        _ user: String, asOf t: Timestamp, model serial: UInt64, into out: UnsafeMutableBufferPointer<Double>,
        _ compute: (UnsafeMutableBufferPointer<Double>, _ row: UnsafePointer<UInt64>) -> (Double, until: Int64?)
    ) -> ScoreLookup {
        let shard = shard(user)
        return shard.lock.withLock {
            guard let index = shard.rowOf[user].map(Int.init) else { return .unknown }
            let row = shard.rows.row(index)
            let memo = row + layout.width
            let time = t.microseconds
            if memo[0] == serial && time >= Int64(bitPattern: memo[1]) && time < Int64(bitPattern: memo[2]) {
                return .scored(Double(bitPattern: memo[3]))
            }
            guard layout.write(row: row, asOf: t, into: out) else { return .expired(shard.states.state(index), generation: shard.generations[index]) }
            let (probability, until) = compute(out, row)
            if let until, until > time {
                memo[0] = serial
                memo[1] = UInt64(bitPattern: time)
                memo[2] = UInt64(bitPattern: until)
                memo[3] = probability.bitPattern
            }
            return .scored(probability)
        }
    }

    /// Stores a span refolded after `.expired`, unless the state was replaced meanwhile.
    func renew(_ user: String, generation: UInt32, span: FeatureValueSpan) {
        let shard = shard(user)
        shard.lock.withLock {
            guard let row = shard.rowOf[user].map(Int.init), shard.generations[row] == generation else { return }
            layout.store(span, into: shard.rows.row(row))
            shard.rows.row(row)[layout.width] = 0
        }
    }

    /// Replaces (or adds) users' encoded states with their spans.
    func store(_ entries: [(user: String, state: [UInt8], span: FeatureValueSpan)]) {
        for entry in entries {
            let shard = shard(entry.user)
            shard.lock.withLock {
                let row: Int
                if let existing = shard.rowOf[entry.user].map(Int.init) {
                    row = existing
                    shard.states.replace(row, with: entry.state)
                    shard.generations[row] &+= 1
                } else {
                    row = shard.rows.append()
                    shard.rowOf[entry.user] = UInt32(row)
                    _ = shard.states.append(entry.state)
                    shard.generations.append(0)
                }
                layout.store(entry.span, into: shard.rows.row(row))
                shard.rows.row(row)[layout.width] = 0
            }
        }
    }

    /// Makes room for about `users` users in all, so that a full load does not rehash as it grows.
    func reserve(users: Int) {
        let expected = users / shards.count
        // Users fall into shards binomially: four standard deviations cover every shard in practice,
        // and a dictionary reserved past its power-of-two size would double its buckets (measured:
        // 12.5% slack cost 68 instead of 34 bytes per user at 183,701 users).
        let likely = expected + 4 * Int(Double(expected).squareRoot()) + 16
        let each = expected + users / (8 * shards.count) + 16
        for shard in shards {
            shard.lock.withLock {
                shard.rowOf.reserveCapacity(likely)
                shard.generations.reserveCapacity(likely)
                shard.rows.reserve(rows: each, expected: expected)
            }
        }
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.lock.withLock { shard.rowOf.count } } }
}
