import NIOConcurrencyHelpers
import RecurCore

/// A user's state and the span of its feature values as of the last time anyone looked.
final class OnlineUser: Sendable {
    let state: UserFeatureState
    let span: FeatureValueSpan

    init(state: UserFeatureState, span: FeatureValueSpan) {
        self.state = state
        self.span = span
    }
}

/// Every user's online state, split over shards that each have their own lock, so that event
/// loops on different cores almost never wait for each other (one lock measured as futex
/// wake-ups and context switches under `redis-benchmark -P 16`).
final class OnlineUserTable: @unchecked Sendable {
    private final class Shard: @unchecked Sendable {
        let lock = NIOLock()
        var users: [String: OnlineUser] = [:]
    }

    private let shards: [Shard]
    private let mask: Int

    /// `shardCount` is rounded up to a power of two.
    init(shardCount: Int = 64) {
        var n = 1
        while n < shardCount { n <<= 1 }
        shards = (0..<n).map { _ in Shard() }
        mask = n - 1
    }

    /// FNV-1a of the id's bytes: cheap, and independent of the dictionaries' per-process seed.
    private func shard(_ user: String) -> Shard {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in user.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return shards[Int(truncatingIfNeeded: hash) & mask]
    }

    subscript(user: String) -> OnlineUser? {
        let shard = shard(user)
        return shard.lock.withLock { shard.users[user] }
    }

    /// Stores `new` unless the entry changed since it was read as `old` (a newer state won).
    func replace(_ user: String, _ old: OnlineUser, with new: OnlineUser) {
        let shard = shard(user)
        shard.lock.withLock {
            if shard.users[user] === old { shard.users[user] = new }
        }
    }

    func store(_ entries: [(String, OnlineUser)]) {
        for (user, entry) in entries {
            let shard = shard(user)
            shard.lock.withLock { shard.users[user] = entry }
        }
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.lock.withLock { shard.users.count } } }
}
