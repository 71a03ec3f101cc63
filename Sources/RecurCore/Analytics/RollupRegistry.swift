import Foundation
import Postgres

/// The rollups a store keeps, in `rollup_definitions`: every writer updates exactly these, whatever
/// definitions its own process was given, so the tables never depend on which builder stored a batch.
public enum RollupRegistry {
    /// What registering found and did, one line each.
    public struct Outcome: Sendable {
        public var built: [String] = []
        public var rebuilt: [String] = []
        /// Rollups whose definition here differs from the store's, left as they are.
        public var differing: [String] = []
    }

    /// Registers every definition of `catalog` the store does not keep yet, building its table from
    /// the stored events. With `replaceChanged`, a rollup whose definition changed is dropped and built again.
    ///
    /// Holds a SHARE lock on `events` while it builds, so no batch is stored half before and half after.
    public static func register(
        _ catalog: RollupCatalog, on connection: Connection, replaceChanged: Bool = false, restore: Set<String> = [],
        progress: (String) -> Void = { _ in }
    ) throws -> Outcome {
        var outcome = Outcome()
        let wanted = catalog.rollups.map { Definition.rollup($0) } + (catalog.sessions.map { [Definition.sessions($0)] } ?? [])
        func needed(_ stored: Registry) -> [Definition] {
            let known = Dictionary(stored.definitions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return wanted.filter { definition in
                if stored.dropped.contains(definition.name) { return restore.contains(definition.name) }
                guard let existing = known[definition.name] else { return true }
                return existing != definition && replaceChanged
            }
        }
        let stored = try load(on: connection)
        let known = Dictionary(stored.definitions.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        outcome.differing = wanted.filter { known[$0.name] != nil && known[$0.name] != $0 && !replaceChanged }.map(\.name)
        guard !needed(stored).isEmpty else { return outcome }
        try connection.transaction {
            // One registration at a time, and no batch half in: writers read the registry after their insert.
            try connection.execute("LOCK TABLE rollup_definitions IN SHARE ROW EXCLUSIVE MODE")
            try connection.execute("LOCK TABLE events IN SHARE MODE")
            var current = try load(on: connection)
            for definition in needed(current) {
                progress("building \(definition.name) from the stored events…")
                if current.definitions.contains(where: { $0.name == definition.name }) {
                    outcome.rebuilt.append(definition.name)
                } else {
                    outcome.built.append(definition.name)
                }
                try connection.execute("DROP TABLE IF EXISTS \(definition.name) CASCADE")
                for statement in definition.createSQL { try connection.execute(statement) }
                for statement in definition.rebuildSQL(bounded: false) { try connection.execute(statement) }
                current.generation += 1
                try connection.execute(
                    """
                    INSERT INTO rollup_definitions (name, kind, definition, generation) VALUES ($1, $2, $3::jsonb, $4)
                    ON CONFLICT (name) DO UPDATE SET kind = excluded.kind, definition = excluded.definition,
                        generation = excluded.generation, dropped = false, registered_at = now()
                    """, [definition.name, definition.kind, try definition.json(), current.generation])
                current.definitions.removeAll { $0.name == definition.name }
                current.definitions.append(definition)
                current.dropped.remove(definition.name)
            }
            try AnalyticsViews.create(over: current.definitions, on: connection)
        }
        return outcome
    }

    /// Stops keeping `names` and drops their tables; they stay dropped until restored by `rollups backfill --restore`.
    public static func drop(_ names: [String], on connection: Connection) throws {
        try connection.transaction {
            try connection.execute("LOCK TABLE rollup_definitions IN SHARE ROW EXCLUSIVE MODE")
            var current = try load(on: connection)
            for name in names {
                guard current.definitions.contains(where: { $0.name == name }) else {
                    throw RollupError.unknown(name, known: current.definitions.map(\.name))
                }
                current.generation += 1
                try connection.execute("UPDATE rollup_definitions SET dropped = true, generation = $2 WHERE name = $1", [name, current.generation])
                try connection.execute("DROP TABLE IF EXISTS \(name) CASCADE")
                current.definitions.removeAll { $0.name == name }
            }
            try AnalyticsViews.create(over: current.definitions, on: connection)
        }
    }

    /// What `rollup_definitions` holds: its generation (moving with every change), the tables kept, and those dropped.
    struct Registry {
        var generation: Int64
        var definitions: [Definition]
        var dropped: Set<String>
    }

    static func load(on connection: Connection) throws -> Registry {
        let rows = try connection.query("SELECT name, kind, definition::text, generation, dropped FROM rollup_definitions ORDER BY name")
        var registry = Registry(generation: 0, definitions: [], dropped: [])
        for row in rows.rows {
            let name = try row.require(String.self, 0)
            let text = try row.require(String.self, 2)
            registry.generation = max(registry.generation, try row.require(Int64.self, 3))
            if try row.require(Bool.self, 4) {
                registry.dropped.insert(name)
                continue
            }
            do {
                switch try row.require(String.self, 1) {
                case "sessions": registry.definitions.append(.sessions(try JSONDecoder().decode(SessionRollup.self, from: Data(text.utf8))))
                default: registry.definitions.append(.rollup(try JSONDecoder().decode(Rollup.self, from: Data(text.utf8))))
                }
            } catch {
                throw RollupError.unreadableDefinition(name: name, reason: "\(error)")
            }
        }
        return registry
    }

    /// The generation alone: one cheap read per batch tells a writer whether to reload.
    static func generation(on connection: Connection) throws -> Int64 {
        try connection.query("SELECT coalesce(max(generation), 0) FROM rollup_definitions").require(Int64.self, 0, 0)
    }

    /// The store's rollups as a catalog, for `rollups list` and `show`.
    public static func catalog(on connection: Connection) throws -> RollupCatalog {
        var catalog = RollupCatalog(rollups: [], sessions: nil)
        for definition in try load(on: connection).definitions {
            switch definition {
            case .rollup(let rollup): catalog.rollups.append(rollup)
            case .sessions(let sessions): catalog.sessions = sessions
            }
        }
        return catalog
    }

    /// Recounts [from, to) of every registered table (all of it without bounds) from the stored events.
    public static func rebuild(from: Timestamp?, to: Timestamp?, on connection: Connection, progress: (String) -> Void = { _ in }) throws -> [String] {
        try connection.transaction {
            try connection.execute("LOCK TABLE events IN SHARE MODE")
            let definitions = try load(on: connection).definitions
            let bounded = from != nil || to != nil
            // Open ends: past any event a timestamp can hold.
            let parameters: [(any PostgresEncodable)?] = bounded ? [from?.iso8601 ?? "0001-01-01T00:00:00Z", to?.iso8601 ?? "9999-01-01T00:00:00Z"] : []
            for definition in definitions {
                progress("rebuilding \(definition.name)…")
                for statement in definition.rebuildSQL(bounded: bounded) {
                    let used = statement.contains("$1") ? parameters : []
                    try connection.execute(statement, used)
                }
            }
            return definitions.map(\.name)
        }
    }
}

extension RollupRegistry {
    /// For each registered table, how many rows differ from a recount of the stored events (rows in
    /// one and not the other, both ways): all zero when the batches kept them exactly.
    public static func differences(on connection: Connection) throws -> [(name: String, rows: Int)] {
        try load(on: connection).definitions.map { definition in
            let (columns, select) = definition.recount
            let count = try connection.query(
                """
                SELECT count(*) FROM (
                    (SELECT \(columns) FROM \(definition.name) EXCEPT ALL (\(select)))
                    UNION ALL
                    ((\(select)) EXCEPT ALL SELECT \(columns) FROM \(definition.name))
                ) d
                """
            ).require(Int64.self, 0, 0)
            return (definition.name, Int(count))
        }
    }
}

/// One registered table: a rollup or the sessions.
enum Definition: Equatable, Sendable {
    case rollup(Rollup)
    case sessions(SessionRollup)

    var name: String {
        switch self {
        case .rollup(let rollup): rollup.name
        case .sessions(let sessions): sessions.name
        }
    }

    var kind: String {
        switch self {
        case .rollup: "rollup"
        case .sessions: "sessions"
        }
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let data =
            switch self {
            case .rollup(let rollup): try encoder.encode(rollup)
            case .sessions(let sessions): try encoder.encode(sessions)
            }
        return String(decoding: data, as: UTF8.self)
    }

    var createSQL: [String] {
        switch self {
        case .rollup(let rollup): RollupTable(rollup: rollup).createSQL
        case .sessions(let sessions): SessionTable(sessions: sessions).createSQL
        }
    }

    func rebuildSQL(bounded: Bool) -> [String] {
        switch self {
        case .rollup(let rollup): RollupTable(rollup: rollup).rebuildSQL(bounded: bounded)
        case .sessions(let sessions): SessionTable(sessions: sessions).rebuildSQL(bounded: bounded)
        }
    }

    var recount: (columns: String, select: String) {
        switch self {
        case .rollup(let rollup): RollupTable(rollup: rollup).recount
        case .sessions(let sessions): SessionTable(sessions: sessions).recount
        }
    }

    var ordering: (time: String, keys: [String]) {
        switch self {
        case .rollup(let rollup): RollupTable(rollup: rollup).ordering
        case .sessions(let sessions): SessionTable(sessions: sessions).ordering
        }
    }

    func applySQL(batchTable: String) -> [String] {
        switch self {
        case .rollup(let rollup): RollupTable(rollup: rollup).applySQL(batchTable: batchTable)
        case .sessions(let sessions): [SessionTable(sessions: sessions).applySQL(batchTable: batchTable)]
        }
    }
}

/// A rollup that cannot be used, with what to do about it.
public enum RollupError: Error, CustomStringConvertible {
    case unreadableDefinition(name: String, reason: String)
    case unknown(String, known: [String])

    public var description: String {
        switch self {
        case .unreadableDefinition(let name, let reason):
            "the stored definition of rollup `\(name)` cannot be read (\(reason)); `recur rollups backfill` registers it again"
        case .unknown(let name, let known): "no rollup `\(name)` in this store; known: \(known.joined(separator: ", "))"
        }
    }
}
