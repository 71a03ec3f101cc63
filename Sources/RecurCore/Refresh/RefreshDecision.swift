import Foundation

/// What one `recur refresh` decided about one candidate, kept in `models/.refresh/CANDIDATE.json`
/// so that the next run on the same data knows it is done.
public struct RefreshDecision: Sendable, Codable, Equatable {
    public var candidate: String
    public var production: String
    public var alias: String
    public var cutoff: String
    public var rule: String
    public var promoted: Bool
    public var reasons: [String]
    public var report: String
    public var decidedAt: String

    public init(
        candidate: String, production: String, alias: String, cutoff: String, rule: String, promoted: Bool, reasons: [String], report: String, decidedAt: String
    ) {
        self.candidate = candidate
        self.production = production
        self.alias = alias
        self.cutoff = cutoff
        self.rule = rule
        self.promoted = promoted
        self.reasons = reasons
        self.report = report
        self.decidedAt = decidedAt
    }

    enum CodingKeys: String, CodingKey { case candidate, production, alias, cutoff, rule, promoted, reasons, report, decidedAt = "decided_at" }

    /// The decisions beside the models they are about.
    public struct Log: Sendable {
        public let directory: String
        public init(directory modelsDirectory: String) { directory = (modelsDirectory as NSString).appendingPathComponent(".refresh") }

        public func read(candidate: String) throws -> RefreshDecision? {
            guard let data = FileManager.default.contents(atPath: directory + "/" + candidate + ".json") else { return nil }
            do { return try JSONDecoder().decode(RefreshDecision.self, from: data) } catch {
                throw ModelError.corrupt(path: directory + "/" + candidate + ".json", reason: "not a refresh decision: \(error)")
            }
        }

        /// Written by temp file and rename: a decision is there whole or not at all.
        public func write(_ decision: RefreshDecision) throws {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(decision).write(to: URL(fileURLWithPath: directory + "/" + decision.candidate + ".json"), options: .atomic)
        }
    }
}
