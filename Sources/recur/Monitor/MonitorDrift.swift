import ArgumentParser
import Foundation
import RecurCore

/// Where `monitor drift` takes today's rows from.
enum DriftSource: String, CaseIterable, ExpressibleByArgument {
    case online, logged
}

/// `recur monitor drift`: feature and score distributions now against the model's training rows.
struct MonitorDrift: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift",
        abstract: "Compare today's feature and score distributions with a model's training rows (PSI and a test per feature).",
        discussion: """
            Writes notebooks-export/drift.html whatever the format, and keeps the figures in drift_results, which \
            `recur serve` exports as recur_feature_drift_psi{feature=…}.
            """)
    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions
    @OptionGroup var folder: ModelsFolder
    @Option(help: "Model version or alias.") var model = "production"
    @Option(help: "online: the users' states as of now; logged: the vectors the server logged (--log-sample).") var current = DriftSource.online
    @Option(help: "With --current logged: answers logged from this time.") var since: TimeArgument?
    @Option(help: "With --current online: at most this many users (chosen by a hash of their id).") var sample = 200_000
    @Option(help: "text, json or html (to stdout).") var format = MonitorFormat.text
    @Option(name: .customLong("export-dir"), help: "Where drift.html goes.") var exportDirectory = "notebooks-export"

    func validate() throws {
        guard sample > 0 else { throw ValidationError("--sample must be at least 1") }
        if since != nil && current != .logged { throw ValidationError("--since is for --current logged") }
    }

    func run() throws {
        let (artifact, metadata) = try folder.registry.load(model)
        let set = try features.catalog().resolve("\(artifact.featureSetName)@\(artifact.featureSetVersion)")
        let opened = try store.open()
        let source: DriftCheck.Current = current == .online ? .online(limit: sample) : .logged(since: since?.timestamp)
        let report = try DriftCheck(artifact: artifact, metadata: metadata, set: set).run(current: source, store: opened)
        try DriftCheck.save(report, on: opened.connection)
        try FileManager.default.createDirectory(atPath: exportDirectory, withIntermediateDirectories: true)
        let path = (exportDirectory as NSString).appendingPathComponent("drift.html")
        try report.html.write(toFile: path, atomically: true, encoding: .utf8)
        switch format {
        case .text: print(report.text, terminator: "")
        case .json: print(report.json)
        case .html: print(report.html, terminator: "")
        }
        printError("report: \(path)")
    }
}
