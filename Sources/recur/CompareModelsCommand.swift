import ArgumentParser
import Foundation
import RecurCore

/// `recur models compare A B [C…]`: every model scored on one point-in-time evaluation set.
struct CompareModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare model versions on one evaluation set: AUC with DeLong intervals and paired tests, calibration, lift.",
        discussion: """
            The first model is the baseline. Rows are the users with snapshots at the cutoff in every model's \
            feature-set version; each model is scored with its own version's features, and the label is a purchase \
            in [cutoff, cutoff + horizon). By default the cutoff is the latest holdout among the models, or, when a model's \
            training labels reach past it, the first backfilled cutoff after them whose labels the events cover. A model \
            whose training labels reach past a cutoff you give is refused unless --allow-overlap.
            Example: recur models compare v2 v3 --on-holdout-of v3 --segments --bootstrap 2000
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var folder: ModelsFolder
    @Argument(
        help:
            "Versions or aliases; the first is the baseline. A gammagamma model among them is judged on spend, beside the buy-till-you-die models' expected purchases."
    ) var models: [String] = []
    @Option(help: "Evaluation cutoff (labels from [cutoff, cutoff + horizon)).") var cutoff: String?
    @Option(help: "Label window, a duration such as 30d (default: the baseline's horizon).") var horizon: DurationArgument?
    @Option(name: .customLong("on-holdout-of"), help: "Evaluate at this model's holdout cutoff, horizon and population.") var onHoldoutOf: String?
    @Option(help: "active or purchasers (default: the baseline's population).") var population: String?
    @Flag(help: "Also compare per segment: new vs returning, spend tiers, recency buckets.") var segments = false
    @Option(help: "Paired bootstrap replicates as a second opinion (0: off).") var bootstrap = 0
    @Option(help: "Seed of the bootstrap.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("A CSV of user,cutoff,MODEL… with scores made elsewhere, added to the comparison.", valueName: "file")) var scores: String?
    @Option(help: "table, json or markdown.") var format = "table"
    @Flag(name: .customLong("allow-overlap"), help: "Compare even when a model could have learnt the evaluation labels.") var allowOverlap = false
    @Option(name: .customLong("export-dir"), help: "Folder for report.html, scores.csv, metrics.json and compare.ipynb.") var exportDirectory =
        "notebooks-export"
    @Flag(name: .customLong("no-export"), help: "Print the comparison only.") var noExport = false
    @Option(name: .customLong("features-dir"), help: ArgumentHelp("A folder of feature set .toml files (adds to the built-in sets).", valueName: "dir"))
    var featuresDirectory: String?

    @Option(help: ArgumentHelp("Evaluate on your own labelled rows (user, time, --label) instead of a cutoff.", valueName: "file")) var rows: String?
    @Option(help: "With --rows: the 0/1 label column.") var label: String?
    @Option(name: .customLong("user-column"), help: "With --rows: the user id column (default: a name events import knows).") var userColumn: String?
    @Option(name: .customLong("time-column"), help: "With --rows: the time column (default: a name events import knows).") var timeColumn: String?
    @Flag(name: .customLong("as-known"), help: "With --rows: count only events stored before each row's time.") var asKnown = false

    func validate() throws {
        guard ["table", "json", "markdown"].contains(format) else { throw ValidationError("--format must be table, json or markdown") }
        if rows != nil {
            guard label != nil else { throw ValidationError("--rows needs --label, the 0/1 column to evaluate against") }
            guard cutoff == nil, onHoldoutOf == nil, scores == nil else { throw ValidationError("--rows replaces --cutoff, --on-holdout-of and --scores") }
        } else if label != nil || userColumn != nil || timeColumn != nil || asKnown {
            throw ValidationError("--label, --user-column, --time-column and --as-known go with --rows")
        }
        guard bootstrap >= 0 else { throw ValidationError("--bootstrap must be 0 or more") }
        if cutoff != nil && onHoldoutOf != nil { throw ValidationError("give --cutoff or --on-holdout-of, not both") }
    }

    func run() throws {
        let registry = folder.registry
        var compared = [ComparedModel]()
        var spend: ComparedModel?
        for reference in models {
            let (artifact, metadata) = try registry.load(reference)
            if compared.contains(where: { $0.name == metadata.version }) { throw CLIError.usage("model \(metadata.version) is given twice") }
            let model = ComparedModel(name: metadata.version, artifact: artifact, metadata: metadata)
            // A spend model scores no probability: it is judged on the spend of the users who buy.
            if !artifact.kind.scoresPurchases {
                if let first = spend { throw CLIError.usage("give one spend model; \(first.name) and \(model.name) are both gammagamma") }
                spend = model
            } else {
                compared.append(model)
            }
        }
        if spend != nil && rows != nil { throw CLIError.usage("a gammagamma model is judged on purchases in a horizon; it cannot be compared on --rows") }
        let external = try scores.map { try ExternalScores.read(path: $0) }
        guard compared.count + (external?.modelNames.count ?? 0) >= 2, !compared.isEmpty else { throw CLIError.usage(ComparisonError.tooFewModels.description) }
        if let clash = external?.modelNames.first(where: { name in compared.contains { $0.name == name } }) {
            throw CLIError.usage("--scores column \(clash) has the name of a stored model; rename the column")
        }
        let opened = try store.open()
        let catalog = try FeatureCatalog.load(directory: featuresDirectory ?? ProcessInfo.processInfo.environment["RECUR_FEATURES_DIR"])
        if let path = rows, let label {
            var source = LabelledRows(path: path, label: label)
            source.userColumn = userColumn
            source.timeColumn = timeColumn
            source.asKnown = asKnown
            let set = try EvaluationSet.build(models: compared, rows: source, catalog: catalog, store: opened)
            printError("evaluating on \(set.rows) rows of \(path) (label \(label))")
            for note in set.exclusions { printError("note: \(note)") }
            try report(set, compared: compared, groups: [], matching: nil, overlaps: [])
            return
        }
        var (time, span, rule, origin) = try evaluationPoint(compared, registry: registry)
        var overlaps = ComparisonReport.overlaps(compared, cutoff: time)
        if !overlaps.isEmpty && !allowOverlap {
            let earliest = compared.compactMap(\.learntLabelsUntil).max()!
            // Left to choose, move on to the first snapshot no model learnt from rather than refuse.
            if cutoff == nil && onHoldoutOf == nil, let baseline = compared[0].artifact,
                let clean = try CleanCutoff.first(
                    notBefore: earliest, horizon: span, setName: baseline.featureSetName, setVersion: baseline.featureSetVersion, store: opened)
            {
                origin = "\(origin) \(time.iso8601) overlaps the models' training labels; the first snapshot after them"
                time = clean
                overlaps = ComparisonReport.overlaps(compared, cutoff: time)
            } else {
                throw CLIError.failed(ComparisonError.refused(overlaps, earliestCleanCutoff: earliest.iso8601).description)
            }
        }
        printError("evaluating at \(time.iso8601), horizon \(span), population \(rule.rawValue) (\(origin))")

        var set = try EvaluationSet.build(models: compared, spend: spend, cutoff: time, horizon: span, population: rule, catalog: catalog, store: opened)
        var matching: ExternalScores.Matching?
        if let external {
            (set, matching) = external.merge(into: set)
            printError(
                "\(external.path): \(matching!.matched) of \(matching!.fileRows) rows matched; \(matching!.evaluationRowsWithoutScore) evaluation rows without a score left out"
            )
            guard set.rows > 0 else {
                throw CLIError.failed(
                    ComparisonError.noRows("no evaluation row has a score in \(external.path) (are user ids and cutoff the same?)").description)
            }
        }
        var groups = [(name: String, rows: [Int])]()
        if segments { groups = EvaluationSegments.segments(try EvaluationSegments.histories(users: set.users, cutoff: time, store: opened)) }
        var purchases: PurchaseCountReport?
        if !set.expected.isEmpty {
            purchases = PurchaseCountReport(
                columns: set.expected, actual: try HorizonPurchases.load(users: set.users, cutoff: time, horizon: span, store: opened))
        }
        try report(set, compared: compared, groups: groups, matching: matching, overlaps: overlaps.map(\.description), purchases: purchases)
    }

    /// Scores the set, prints the comparison and writes the export.
    private func report(
        _ set: EvaluationSet, compared: [ComparedModel], groups: [(name: String, rows: [Int])], matching: ExternalScores.Matching?, overlaps: [String],
        purchases: PurchaseCountReport? = nil
    ) throws {
        if bootstrap > 0 { printError("bootstrap: \(bootstrap) paired replicates of \(set.rows) rows (seed \(seed))") }
        let comparison = ScoreComparison(
            names: set.modelNames, scores: set.scores, labels: set.labels, segments: groups,
            bootstrapReplicates: bootstrap, seed: seed)
        let report = ComparisonReport(
            set: set, models: compared, comparison: comparison, matching: matching,
            overlaps: overlaps, codeVersion: RecurVersion.current, purchases: purchases)
        switch format {
        case "json": print(String(decoding: try report.json(), as: UTF8.self))
        case "markdown": print(ComparisonTable(report).markdown, terminator: "")
        default: print(ComparisonTable(report).text)
        }
        if !noExport {
            let directory = (exportDirectory as NSString).appendingPathComponent("compare-" + set.modelNames.joined(separator: "-"))
            try ComparisonExport(report: report, set: set).write(to: directory)
            printError("report: \(directory)/report.html (also scores.csv, metrics.json, compare.ipynb)")
        }
    }

    /// The cutoff, horizon and population to evaluate at, and where they came from.
    func evaluationPoint(_ models: [ComparedModel], registry: ModelRegistry) throws -> (Timestamp, TimeSpan, TrainingSet.Population, String) {
        let baseline = models[0].metadata!
        /// The option's horizon, or the one a model's metadata records.
        func parsedHorizon(_ recorded: String) throws -> TimeSpan {
            if let horizon { return horizon.span }
            guard let span = TimeSpan(parsing: recorded) else { throw CLIError.failed("the model's recorded horizon '\(recorded)' is not a duration") }
            return span
        }
        func parsedPopulation(_ text: String) throws -> TrainingSet.Population {
            guard let rule = TrainingSet.Population(rawValue: text) else { throw CLIError.usage("--population must be active or purchasers") }
            return rule
        }
        let source: ModelMetadata
        let origin: String
        if let cutoff {
            let time = try parseTime(cutoff, option: "--cutoff")
            return (time, try parsedHorizon(baseline.horizon), try parsedPopulation(population ?? baseline.population), "--cutoff")
        } else if let onHoldoutOf {
            source = try registry.load(onHoldoutOf).1
            origin = "the holdout of \(source.version)"
        } else {
            source = models.compactMap(\.metadata).max { $0.holdoutCutoff < $1.holdoutCutoff }!
            origin = "the latest holdout among the models, \(source.version)'s"
        }
        guard let time = DateText.parse(source.holdoutCutoff) else {
            throw CLIError.failed("model \(source.version) has an unreadable holdout cutoff '\(source.holdoutCutoff)'")
        }
        return (time, try parsedHorizon(source.horizon), try parsedPopulation(population ?? source.population), origin)
    }
}
