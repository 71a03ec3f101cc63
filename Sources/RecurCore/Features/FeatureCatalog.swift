import Foundation
import TOMLKit

/// Every feature set Recur knows: the built-in ones plus those in a user's features folder.
public struct FeatureCatalog: Sendable {
    public private(set) var sets: [FeatureSet]

    /// The sets compiled into the binary.
    public static var builtin: FeatureCatalog {
        // The built-in text is covered by tests; failing here would be a build defect.
        let sets = BuiltinFeatureSets.files.map { try! FeatureCatalog.parse(path: "builtin:" + $0.name, text: $0.text) }
        return FeatureCatalog(sets: sets)
    }

    /// The built-in sets, plus every `*.toml` of feature sets in `directory` (a set there replaces a built-in one of the same name and version).
    public static func load(directory: String?) throws(FeatureDefinitionError) -> FeatureCatalog {
        var catalog = builtin
        guard let directory else { return catalog }
        for (path, text) in try files(in: directory) where !RollupCatalog.declaresRollups(text) {
            let set = try parse(path: path, text: text)
            catalog.sets.removeAll { $0.name == set.name && $0.version == set.version }
            catalog.sets.append(set)
        }
        return catalog
    }

    /// Every `*.toml` in a definitions folder, by name, with its text.
    static func files(in directory: String) throws(FeatureDefinitionError) -> [(path: String, text: String)] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw .unreadable(path: directory, reason: "no such folder")
        }
        var files = [(path: String, text: String)]()
        for name in names.sorted() where name.hasSuffix(".toml") {
            let path = (directory as NSString).appendingPathComponent(name)
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw .unreadable(path: path, reason: "not UTF-8 text") }
            files.append((path, text))
        }
        return files
    }

    /// `name`, `name@version`, or nil for the default set; without a version, the highest.
    public func resolve(_ reference: String?) throws(FeatureDefinitionError) -> FeatureSet {
        let text = reference ?? "default"
        let parts = text.split(separator: "@", maxSplits: 1).map(String.init)
        let candidates = sets.filter { $0.name == parts[0] }
        if parts.count == 2 {
            guard let version = Int(parts[1].hasPrefix("v") ? String(parts[1].dropFirst()) : parts[1]) else { throw .unknownSet(text, known: known) }
            guard let set = candidates.first(where: { $0.version == version }) else { throw .unknownSet(text, known: known) }
            return set
        }
        guard let set = candidates.max(by: { $0.version < $1.version }) else { throw .unknownSet(text, known: known) }
        return set
    }

    var known: [String] { sets.map(\.reference).sorted() }

    private struct FileShape: Decodable {
        var name: String?
        var version: Int?
        var session_gap: String?
        var allowed_lateness: String?
        var feature: [FeatureShape]?
    }

    private struct FeatureShape: Decodable {
        var name: String?
        var kind: String?
        var event: String?
        var field: String?
        var window: String?
        var per: String?
        var baseline: String?
        var description: String?
    }

    /// Reads and validates one file; every mistake names the file, the line and what was expected.
    static func parse(path: String, text: String) throws(FeatureDefinitionError) -> FeatureSet {
        let file = DefinitionFile(path: path, text: text)
        func line(of needle: String, after start: Int = 0) -> Int { file.line(of: needle, after: start) }
        func fail(_ line: Int, _ message: String) -> FeatureDefinitionError { file.fail(line, message) }
        let shape = try file.decode(FileShape.self)
        guard let name = shape.name, name.range(of: #"^[a-z][a-z0-9_]*$"#, options: .regularExpression) != nil else {
            throw fail(line(of: "name"), "expected `name = \"...\"` (lower-case letters, digits, _)")
        }
        guard let version = shape.version, version > 0 else { throw fail(line(of: "version"), "expected `version = N` with N a positive whole number") }
        let gapText = shape.session_gap ?? "30m"
        guard let gap = TimeSpan(parsing: gapText) else { throw fail(line(of: "session_gap"), "session_gap `\(gapText)` is not a duration such as 30m") }
        let latenessText = shape.allowed_lateness ?? "1d"
        guard let lateness = TimeSpan(parsing: latenessText) else {
            throw fail(line(of: "allowed_lateness"), "allowed_lateness `\(latenessText)` is not a duration such as 2d")
        }
        guard let entries = shape.feature, !entries.isEmpty else { throw fail(1, "expected at least one [[feature]] table") }

        var features = [FeatureDefinition]()
        var seen = Set<String>()
        var cursor = 0
        for (number, entry) in entries.enumerated() {
            let at = line(of: "[[feature]]", after: cursor)
            cursor = at
            guard let featureName = entry.name, featureName.range(of: #"^[a-z][a-z0-9_]*$"#, options: .regularExpression) != nil else {
                throw fail(at, "feature \(number + 1): expected `name = \"...\"` (lower-case letters, digits, _)")
            }
            let here = line(of: "\"\(featureName)\"", after: at - 1)
            guard seen.insert(featureName).inserted else { throw fail(here, "feature `\(featureName)` is defined twice") }
            guard let kindText = entry.kind, let kind = FeatureDefinition.Kind(rawValue: kindText) else {
                let kinds = FeatureDefinition.Kind.allCases.map(\.rawValue).joined(separator: ", ")
                throw fail(line(of: "kind", after: here - 1), "feature `\(featureName)`: kind `\(entry.kind ?? "")` is not one of \(kinds)")
            }
            guard let filter = FeatureDefinition.Filter(rawValue: entry.event ?? "any") else {
                throw fail(
                    line(of: "event", after: here - 1), "feature `\(featureName)`: event `\(entry.event ?? "")` is not one of any, view, cart, purchase, refund"
                )
            }
            if let field = entry.field, field != "amount" {
                throw fail(line(of: "field", after: here - 1), "feature `\(featureName)`: field `\(field)` is not known (expected amount)")
            }
            var window: TimeSpan?
            if let text = entry.window, text != "all" {
                guard let span = TimeSpan(parsing: text) else {
                    throw fail(line(of: "window", after: here - 1), "feature `\(featureName)`: window `\(text)` is not a duration such as 30d, or all")
                }
                window = span
            }
            var per: FeatureDefinition.Filter?
            if kind == .ratio {
                guard let text = entry.per, let p = FeatureDefinition.Filter(rawValue: text) else {
                    throw fail(here, "feature `\(featureName)`: a ratio needs `per = \"view|cart|purchase|refund\"`")
                }
                per = p
            }
            var baseline: TimeSpan?
            if kind == .trend {
                guard let text = entry.baseline, let b = TimeSpan(parsing: text), let w = window, b > w else {
                    throw fail(here, "feature `\(featureName)`: a trend needs a window and a longer `baseline = \"90d\"`")
                }
                baseline = b
            }
            guard let description = entry.description, !description.isEmpty else {
                throw fail(here, "feature `\(featureName)`: expected a one-line `description`")
            }
            features.append(
                FeatureDefinition(
                    name: featureName, kind: kind, filter: filter, window: window, per: per,
                    baseline: baseline, description: description))
        }
        return FeatureSet(name: name, version: version, sessionGap: gap, allowedLateness: lateness, features: features, source: text)
    }
}

/// A feature definition that cannot be used, with where it is and what was expected.
public enum FeatureDefinitionError: Error, CustomStringConvertible {
    case invalid(path: String, line: Int, message: String)
    case unreadable(path: String, reason: String)
    case unknownSet(String, known: [String])
    case undecodableState(String)

    public var description: String {
        switch self {
        case .invalid(let path, let line, let message): "\(path):\(line): \(message)"
        case .unreadable(let path, let reason): "cannot read feature definitions in \(path): \(reason)"
        case .unknownSet(let name, let known): "unknown feature set `\(name)`; known: \(known.joined(separator: ", "))"
        case .undecodableState(let reason): "stored feature state cannot be read: \(reason)"
        }
    }
}
