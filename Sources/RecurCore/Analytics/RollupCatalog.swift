import Foundation
import TOMLKit

/// Every rollup Recur keeps: the built-in ones plus those in a user's features folder.
public struct RollupCatalog: Sendable, Equatable {
    public var rollups: [Rollup]
    public var sessions: SessionRollup?

    /// The definitions compiled into the binary, with the sessions' gap taken from `features`.
    public static func builtin(features: FeatureCatalog = .builtin) -> RollupCatalog {
        // The built-in text is covered by tests; failing here would be a build defect.
        try! parse(path: "builtin:rollups.toml", text: BuiltinRollups.text, features: features)
    }

    /// The built-in rollups, plus every `*.toml` of rollups in `directory` (one of the same name replaces a built-in one).
    public static func load(directory: String?, features: FeatureCatalog) throws(FeatureDefinitionError) -> RollupCatalog {
        var catalog = builtin(features: features)
        guard let directory else { return catalog }
        for (path, text) in try FeatureCatalog.files(in: directory) where Self.declaresRollups(text) {
            let more = try parse(path: path, text: text, features: features)
            for rollup in more.rollups {
                catalog.rollups.removeAll { $0.name == rollup.name }
                catalog.rollups.append(rollup)
            }
            if let sessions = more.sessions { catalog.sessions = sessions }
        }
        return catalog
    }

    /// Whether a definitions file holds rollups rather than a feature set.
    static func declaresRollups(_ text: String) -> Bool {
        guard let table = try? TOMLTable(string: text) else { return false }
        return table["feature"] == nil && (table["rollup"] != nil || table["sessions"] != nil)
    }

    /// Tables a rollup may not be named after: Recur's own.
    static let reservedNames: Set<String> = [
        "events", "rejected_events", "import_runs", "feature_sets", "feature_snapshots", "user_features", "backfill_runs",
        "stream_offsets", "stream_files", "feature_repairs", "feature_changes", "schema_migrations", "backfill_progress", "rollup_definitions",
        "event_high_water", "stream_status"
    ]

    private struct FileShape: Decodable {
        var rollup: [RollupShape]?
        var sessions: SessionShape?
    }

    private struct RollupShape: Decodable {
        var name: String?
        var window: String?
        var group: String?
        var watermark: String?
        var measures: [String]?
        var time_column: String?
    }

    private struct SessionShape: Decodable {
        var name: String?
        var set: String?
    }

    /// Reads and validates one file; every mistake names the file, the line and what was expected.
    static func parse(path: String, text: String, features: FeatureCatalog) throws(FeatureDefinitionError) -> RollupCatalog {
        let file = DefinitionFile(path: path, text: text)
        func line(of needle: String, after start: Int = 0) -> Int { file.line(of: needle, after: start) }
        func fail(_ line: Int, _ message: String) -> FeatureDefinitionError { file.fail(line, message) }
        let shape = try file.decode(FileShape.self)
        var rollups = [Rollup]()
        var cursor = 0
        for (number, entry) in (shape.rollup ?? []).enumerated() {
            let at = line(of: "[[rollup]]", after: cursor)
            cursor = at
            let name = try validName(entry.name, at: at, what: "rollup \(number + 1)", fail: fail)
            guard !rollups.contains(where: { $0.name == name }) else { throw fail(at, "rollup `\(name)` is defined twice") }
            guard let windowText = entry.window, let window = TimeSpan(parsing: windowText), window.microseconds >= 1_000_000 else {
                throw fail(
                    line(of: "window", after: at - 1), "rollup `\(name)`: window `\(entry.window ?? "")` is not a duration of a second or more, such as 5m")
            }
            guard let group = Rollup.Grouping(rawValue: entry.group ?? "all") else {
                let known = Rollup.Grouping.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail(line(of: "group", after: at - 1), "rollup `\(name)`: group `\(entry.group ?? "")` is not one of \(known)")
            }
            guard let watermark = TimeSpan(parsing: entry.watermark ?? "1h"), watermark.microseconds >= 0 else {
                throw fail(line(of: "watermark", after: at - 1), "rollup `\(name)`: watermark `\(entry.watermark ?? "")` is not a duration such as 1h")
            }
            var measures = [Rollup.Measure]()
            for text in entry.measures ?? [] {
                guard let measure = Rollup.Measure(rawValue: text) else {
                    let known = Rollup.Measure.allCases.map(\.rawValue).joined(separator: ", ")
                    throw fail(line(of: "measures", after: at - 1), "rollup `\(name)`: measure `\(text)` is not one of \(known)")
                }
                guard !measures.contains(measure) else {
                    throw fail(line(of: "measures", after: at - 1), "rollup `\(name)`: measure `\(text)` is listed twice")
                }
                measures.append(measure)
            }
            guard !measures.isEmpty else { throw fail(at, "rollup `\(name)`: expected `measures = [\"events\", ...]`") }
            if measures.contains(.conversion) && !(measures.contains(.views) && measures.contains(.purchases)) {
                throw fail(line(of: "measures", after: at - 1), "rollup `\(name)`: conversion needs the views and purchases measures too")
            }
            let timeColumn = entry.time_column ?? "window_start"
            guard timeColumn.range(of: #"^[a-z][a-z0-9_]*$"#, options: .regularExpression) != nil,
                !measures.map(\.rawValue).contains(timeColumn), timeColumn != group.column
            else {
                throw fail(
                    line(of: "time_column", after: at - 1), "rollup `\(name)`: time_column `\(timeColumn)` must be a lower-case name unlike the other columns")
            }
            rollups.append(Rollup(name: name, window: window, group: group, measures: measures, watermark: watermark, timeColumn: timeColumn))
        }
        var sessions: SessionRollup?
        if let entry = shape.sessions {
            let at = line(of: "[sessions]")
            let name = try validName(entry.name ?? "sessions", at: at, what: "sessions", fail: fail)
            let set: FeatureSet
            do { set = try features.resolve(entry.set) } catch { throw fail(line(of: "set", after: at - 1), "sessions: \(error)") }
            sessions = SessionRollup(name: name, set: set.reference, gap: set.sessionGap)
        }
        return RollupCatalog(rollups: rollups, sessions: sessions)
    }

    private static func validName(
        _ name: String?, at line: Int, what: String, fail: (Int, String) -> FeatureDefinitionError
    ) throws(FeatureDefinitionError) -> String {
        guard let name, name.range(of: #"^[a-z][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil else {
            throw fail(line, "\(what): expected `name = \"...\"` (lower-case letters, digits, _; it names the table)")
        }
        guard !reservedNames.contains(name), !name.hasPrefix("features_"), !name.hasPrefix("pg_") else {
            throw fail(line, "\(what): `\(name)` is one of Recur's own tables; choose another name")
        }
        return name
    }
}
