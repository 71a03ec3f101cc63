import ArgumentParser
import Foundation
import RecurCore

/// `recur monitor consistency`: every logged answer's features recomputed from the stored events.
struct MonitorConsistency: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "consistency",
        abstract: "Recompute the features of answers logged by `recur serve --log-sample` and count mismatches.",
        discussion: """
            Each logged vector is refolded from the stored events as of its time. A mismatch is "late" when \
            the events stored by the time of the answer give the served value (an event arrived after it), \
            and "skew" otherwise. Exits 1 when there is skew.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @OptionGroup var folder: ModelsFolder
    @Option(help: "Answers logged from this time (default: all).") var since: TimeArgument?
    @Option(help: "Answers logged before this time.") var until: TimeArgument?
    @Option(help: "text or json.") var format = MonitorFormat.text

    func validate() throws {
        if format == .html { throw ValidationError("--format html is for `monitor drift`; consistency prints text or json") }
        if let since, let until, !(since.timestamp < until.timestamp) { throw ValidationError("--since must be before --until") }
    }

    func run() throws {
        let opened = try store.open()
        let answers = try ServedAnswers.read(since: since?.timestamp, until: until?.timestamp, on: opened.connection)
        guard !answers.isEmpty else {
            throw CLIError.failed(
                "no logged answers\(since.map { " since \($0.timestamp.iso8601)" } ?? ""); start the server with `recur serve --log-sample 0.01`")
        }
        let report = try ConsistencyCheck(catalog: try features.catalog(), registry: folder.registry).run(answers, on: opened.connection)
        switch format {
        case .json: print(Self.json(report))
        default: print(Self.text(report), terminator: "")
        }
        if report.skew > 0 || report.scoresMismatched > 0 { throw ExitCode(1) }
    }

    static func text(_ report: ConsistencyCheck.Report) -> String {
        var out = "answers \(report.answers), checked \(report.checked), mismatched \(report.mismatched) (late \(report.late), skew \(report.skew))\n"
        out +=
            "scores: \(report.scoresChecked) recomputed from the logged vectors, \(report.scoresMismatched) differ\(report.unknownModels.isEmpty ? "" : " (models no longer stored: \(report.unknownModels.joined(separator: ", ")))")\n"
        if !report.unknownSets.isEmpty {
            out += "not checked: feature sets \(report.unknownSets.joined(separator: ", ")) are not in this catalog (--features-dir)\n"
        }
        let differing = report.features.filter { $0.mismatched > 0 }
        if differing.isEmpty {
            out += "every feature of every checked answer equals its offline value, bit for bit\n"
        } else {
            out += "feature                          checked  mismatched  late  skew\n"
            for f in differing.sorted(by: { $0.skew > $1.skew }) {
                out +=
                    f.name.padding(toLength: 32, withPad: " ", startingAt: 0)
                    + " \(String(f.checked).leftPadded(7))  \(String(f.mismatched).leftPadded(10))  \(String(f.late).leftPadded(4))  \(String(f.skew).leftPadded(4))\n"
            }
            for e in report.examples.prefix(5) {
                out += "  e.g. \(e.user) as of \(e.asOf.iso8601): \(e.feature) served \(e.served), offline \(e.offline)\(e.late ? " (late)" : "")\n"
            }
        }
        return out
    }

    static func json(_ report: ConsistencyCheck.Report) -> String {
        var json = JSONWriter(capacity: 4_096)
        json.beginObject()
        json.field("answers", report.answers)
        json.field("checked", report.checked)
        json.field("mismatched", report.mismatched)
        json.field("late", report.late)
        json.field("skew", report.skew)
        json.field("scores_checked", report.scoresChecked)
        json.field("scores_mismatched", report.scoresMismatched)
        json.key("unknown_sets")
        json.beginArray()
        for name in report.unknownSets { json.string(name) }
        json.endArray()
        json.key("features")
        json.beginArray()
        for f in report.features {
            json.beginObject()
            json.field("name", f.name)
            json.field("checked", f.checked)
            json.field("mismatched", f.mismatched)
            json.field("late", f.late)
            json.field("skew", f.skew)
            json.endObject()
        }
        json.endArray()
        json.key("examples")
        json.beginArray()
        for e in report.examples {
            json.beginObject()
            json.field("user", e.user)
            json.field("as_of", e.asOf.iso8601)
            json.field("feature", e.feature)
            json.field("served", e.served)
            json.field("offline", e.offline)
            json.field("late", e.late)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
