import ArgumentParser
import Foundation
import RecurCore

/// `recur features show USER`: one user's features as of a time.
struct ShowFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Show one user's features as of now (or --as-of), from the online state or the stored events."
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @Argument(help: "The user id.") var user: String
    @Option(name: .customLong("as-of"), help: "As-of time (default: now).") var asOf = "now"
    @Option(help: "table or json.") var format = "table"

    func run() throws {
        guard format == "table" || format == "json" else { throw CLIError.usage("unknown --format '\(format)': expected table or json") }
        let set = try features.resolve()
        let time = try parseTime(asOf, option: "--as-of")
        let opened = try store.open()
        guard let state = try OnlineFeatures.state(of: user, set: set, store: opened, asOf: time) else {
            throw CLIError.failed("no events for user \(user)")
        }
        let values = state.values(asOf: time)
        if format == "json" {
            let body = zip(set.featureNames, values).map { name, value in
                "\"\(name)\":" + (value.isFinite ? FeatureFormat.json(value) : "null")
            }
            print("{" + body.joined(separator: ",") + "}")
        } else {
            let width = set.featureNames.map(\.count).max() ?? 0
            print("user \(user), \(set.reference), as of \(time.iso8601)")
            for (name, value) in zip(set.featureNames, values) {
                print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + (value.isFinite ? FeatureFormat.text(value) : "-"))
            }
        }
    }
}

/// `recur features list`: every set, version and feature with its description.
struct ListFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List feature sets, versions and features.")
    @OptionGroup var features: FeatureSetOptions
    @Option(help: "text or json (the sets with their versions, features, kinds, windows and descriptions).") var format: ListFormat = .text

    enum ListFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func run() throws {
        let catalog = try features.catalog()
        if format == .json {
            print(String(decoding: catalog.listingJSON, as: UTF8.self))
            return
        }
        for set in catalog.sets.sorted(by: { ($0.name, $0.version) < ($1.name, $1.version) }) {
            print("\(set.reference)  (session gap \(set.sessionGap), allowed lateness \(set.allowedLateness), \(set.features.count) features)")
            let width = set.featureNames.map(\.count).max() ?? 0
            for f in set.features {
                print("  " + f.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + f.description)
            }
        }
    }
}

/// `recur features describe`: per-feature statistics over stored snapshots.
struct DescribeFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "describe",
        abstract: "Per feature: null rate, mean and quantiles over the snapshots at one as-of time (default: the latest)."
    )
    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @Option(name: .customLong("as-of"), help: "Which snapshot time (default: the latest).") var asOf: String?

    func run() throws {
        let set = try features.resolve()
        let opened = try store.open()
        let time = try asOf.map { try parseTime($0, option: "--as-of") }
        let report = try FeatureDescription.read(set: set, asOf: time, store: opened)
        print("\(set.reference), \(report.rows) users as of \(report.asOf.iso8601)")
        let header = ["feature", "null %", "mean", "p5", "p25", "p50", "p75", "p95"]
        var rows = [header]
        for stat in report.features {
            rows.append([stat.name, String(format: "%.1f", stat.nullRate * 100)] + ([stat.mean] + stat.quantiles).map { $0.map(FeatureFormat.text) ?? "-" })
        }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            print(
                row.enumerated().map { column, text in
                    column == 0
                        ? text.padding(toLength: widths[column], withPad: " ", startingAt: 0)
                        : String(repeating: " ", count: widths[column] - text.count) + text
                }.joined(separator: "  "))
        }
    }
}

/// Number formats for feature values: short in tables, exact enough in JSON.
enum FeatureFormat {
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e12 ? String(Int64(value)) : String(format: "%.4g", value)
    }
    static func json(_ value: Double) -> String { JoinOutput.number(value) }
}
