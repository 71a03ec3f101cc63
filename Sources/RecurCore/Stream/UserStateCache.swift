/// Users' aggregator states held between micro-batches, at most `capacity` of them.
///
/// Each entry remembers the row's revision and how many stored events it folds, so a write can
/// be refused when someone else (a repair, a backfill, another builder) changed the row meanwhile.
/// The least recently used tenth is evicted when full; an evicted user is simply reloaded.
struct UserStateCache {
    struct Entry {
        var state: UserFeatureState
        var revision: Int64
        var eventsFolded: Int64
        var lastUse: UInt64 = 0
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    private var clock: UInt64 = 0

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var count: Int { entries.count }

    mutating func get(_ user: String) -> Entry? {
        guard var entry = entries[user] else { return nil }
        clock &+= 1
        entry.lastUse = clock
        entries[user] = entry
        return entry
    }

    mutating func put(_ user: String, _ entry: Entry) {
        clock &+= 1
        var entry = entry
        entry.lastUse = clock
        entries[user] = entry
        if entries.count > capacity { evict() }
    }

    mutating func remove(_ user: String) { entries[user] = nil }

    mutating func removeAll() { entries.removeAll() }

    private mutating func evict() {
        var uses = entries.values.map(\.lastUse)
        uses.sort()
        let threshold = uses[min(uses.count - 1, max(0, capacity / 10))]
        entries = entries.filter { $0.value.lastUse > threshold }
    }
}

/// Hashes of recently committed event ids: predicts which events of a batch may be duplicates so the
/// rest can go straight in with COPY. Only a prediction: the database's primary key decides.
struct RecentEventIDs {
    private var ring: [UInt64]
    private var next = 0
    private var members = Set<UInt64>()

    init(capacity: Int) {
        ring = [UInt64](repeating: 0, count: max(1, capacity))
        members.reserveCapacity(max(1, capacity))
    }

    static func hash(_ id: String) -> UInt64 {
        FNV1a.hash(id.utf8) | 1  // never 0, which marks an empty ring slot
    }

    func contains(_ id: String) -> Bool { members.contains(Self.hash(id)) }

    mutating func insert(_ id: String) {
        let h = Self.hash(id)
        guard members.insert(h).inserted else { return }
        if ring[next] != 0 { members.remove(ring[next]) }
        ring[next] = h
        next = (next + 1) % ring.count
    }
}
