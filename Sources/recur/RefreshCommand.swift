import ArgumentParser
import Foundation
import RecurCore

/// `recur refresh`: backfill the newest cutoff, train a candidate, compare it with production, promote it if it passes.
struct RefreshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Retrain on the newest complete cutoff and promote the candidate only if it beats production.",
        discussion: """
            Idempotent and resumable, for a scheduler: the plan follows from the production model and the stored \
            events alone. It backfills the cutoffs it needs that are missing, trains refresh-DATE with the production \
            model's kind and parameters, compares it with production on DATE (neither trained on it), and promotes it \
            if --promote-if holds. Run again on the same data, it does nothing. See docs/operations.md.
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var folder: ModelsFolder
    @Option(help: "The alias the production model is behind.") var alias = "production"
    @Option(
        name: .customLong("promote-if"), help: "Conditions the candidate must all meet (quantities: auc_gain, p, ece, auc, log_loss, log_loss_gain, brier).")
    var promoteIf = PromotionRule.standard
    @Option(help: "Spacing of cutoffs, a duration such as 7d (default: the production model's).") var every: DurationArgument?
    @Option(name: .customLong("export-dir"), help: "Where the comparison report goes.") var exportDirectory = "notebooks-export"
    @Option(name: .customLong("features-dir"), help: ArgumentHelp("A folder of feature set .toml files (adds to the built-in sets).", valueName: "dir"))
    var featuresDirectory: String?
    @Option(
        name: .customLong("retrain-if-drift"),
        help: ArgumentHelp(
            "Retrain only when a feature's or the score's PSI against the production model's training rows reaches this (e.g. 0.2), as `recur monitor drift` measures it.",
            valueName: "psi"))
    var retrainIfDrift: Double?

    func validate() throws {
        if let retrainIfDrift, !(retrainIfDrift > 0) || !retrainIfDrift.isFinite { throw ValidationError("--retrain-if-drift must be a PSI above 0, e.g. 0.2") }
    }

    func run() throws {
        let rule = try PromotionRule(parsing: promoteIf)
        let registry = folder.registry
        guard let productionVersion = try registry.aliases()[alias] else { throw CLIError.failed(RefreshError.noProduction(alias).description) }
        let (productionArtifact, production) = try registry.load(productionVersion)
        let opened = try store.open()
        guard let lastMicros = try opened.connection.query("SELECT (extract(epoch FROM max(ts)) * 1000000)::bigint FROM events").decode(Int64.self, 0, 0) else {
            throw CLIError.failed(RefreshError.notEnoughData("no events stored").description)
        }
        let step = every?.span
        let plan = try RefreshPlan(production: production, lastEvent: Timestamp(microseconds: lastMicros), every: step)
        let cutoff = plan.evaluationCutoff
        printError(
            "refresh: \(alias) is \(production.version) (\(production.kind.rawValue), \(production.featureSet), horizon \(production.horizon)); newest complete cutoff \(cutoff.iso8601)"
        )
        if production.version == plan.candidate {
            print("nothing to do: \(alias) is already \(plan.candidate), trained for the newest complete cutoff \(cutoff.iso8601)")
            return
        }
        let productionModel = ComparedModel(name: production.version, artifact: productionArtifact, metadata: production)
        if let until = productionModel.learntLabelsUntil, cutoff < until {
            print("nothing to do: \(production.version) learnt labels up to \(until.iso8601); no complete cutoff after that yet (newest: \(cutoff.iso8601))")
            return
        }
        let decisions = RefreshDecision.Log(directory: registry.directory)
        if let earlier = try decisions.read(candidate: plan.candidate), earlier.production == production.version, earlier.rule == rule.description {
            print(
                "nothing to do: decided \(earlier.decidedAt): \(earlier.promoted ? "promoted" : "kept \(earlier.production), did not promote") \(plan.candidate) (\(earlier.reasons.joined(separator: "; ")))"
            )
            return
        }

        let catalog = try FeatureCatalog.load(directory: featuresDirectory ?? ProcessInfo.processInfo.environment["RECUR_FEATURES_DIR"])
        let set = try catalog.resolve(production.featureSet)
        if let threshold = retrainIfDrift {
            let report = try DriftCheck(artifact: productionArtifact, metadata: production, set: set).run(current: .online(limit: 200_000), store: opened)
            try DriftCheck.save(report, on: opened.connection)
            let worst = ([report.score] + report.features).filter { $0.psi.isFinite }.max { $0.psi < $1.psi }
            let described = worst.map { "\($0.name) at PSI \(String(format: "%.4f", $0.psi))" } ?? "nothing measurable"
            guard let worst, worst.psi >= threshold else {
                print("nothing to do: the largest drift from \(production.version)'s training rows is \(described), below --retrain-if-drift \(threshold)")
                return
            }
            printError("refresh: drift \(described) reaches --retrain-if-drift \(threshold): retraining")
        }
        let needed = plan.trainingCutoffs + [cutoff]
        let missing = try needed.filter { !(try Self.hasCompleteSnapshots(set, at: $0, store: opened)) }
        if !missing.isEmpty {
            printError("refresh: backfilling \(set.reference) at \(missing.map(\.iso8601).joined(separator: ", "))")
            let summary = try Backfill(plan: BackfillPlan(set: set, asOfTimes: missing)).run(store: opened)
            printError("refresh: backfill \(summary.snapshots) snapshots\(summary.resumed ? " (resumed)" : "") in \(String(format: "%.1f", summary.seconds)) s")
        }

        let candidateArtifact: ModelArtifact, candidate: ModelMetadata
        if let existing = try? registry.load(plan.candidate) {
            (candidateArtifact, candidate) = existing
            printError("refresh: \(plan.candidate) already trained, reusing it")
        } else {
            let request = plan.trainingRequest(production: production, set: set)
            let rows = try TrainingSet.load(
                set: set, cutoffs: request.cutoffs, horizon: plan.horizon, population: request.population, store: opened, rowsOnDisk: true)
            printError(
                "refresh: training \(plan.candidate) (\(production.kind.rawValue)) on \(plan.trainingCutoffs.map(\.dateString).joined(separator: ", ")), \(rows.rows) rows"
            )
            (candidateArtifact, candidate) = try ModelTrainer(request: request).train(rows, codeVersion: RecurVersion.current)
            try registry.save(candidateArtifact, metadata: candidate)
        }

        printError("refresh: comparing \(production.version) (\(alias)) with \(plan.candidate) at \(cutoff.iso8601)")
        let models = [productionModel, ComparedModel(name: candidate.version, artifact: candidateArtifact, metadata: candidate)]
        let evaluation = try EvaluationSet.build(
            models: models, cutoff: cutoff, horizon: plan.horizon,
            population: TrainingSet.Population(rawValue: production.population) ?? .active, catalog: catalog, store: opened)
        let comparison = ScoreComparison(names: evaluation.modelNames, scores: evaluation.scores, labels: evaluation.labels)
        let report = ComparisonReport(set: evaluation, models: models, comparison: comparison, matching: nil, overlaps: [], codeVersion: RecurVersion.current)
        let reportDirectory = (exportDirectory as NSString).appendingPathComponent("compare-" + evaluation.modelNames.joined(separator: "-"))
        try ComparisonExport(report: report, set: evaluation).write(to: reportDirectory)
        print(ComparisonTable(report).text)

        let (passes, reasons) = rule.judge(candidate: comparison.models[1], production: comparison.models[0])
        if passes { try registry.promote(plan.candidate, alias: alias) }
        try decisions.write(
            RefreshDecision(
                candidate: plan.candidate, production: production.version, alias: alias, cutoff: cutoff.iso8601,
                rule: rule.description, promoted: passes, reasons: reasons, report: reportDirectory + "/report.html",
                decidedAt: Timestamp.now.iso8601))
        print(
            passes
                ? "promoted \(plan.candidate) to \(alias) (was \(production.version)): \(reasons.joined(separator: "; "))"
                : "kept \(production.version) as \(alias); \(plan.candidate) not promoted: \(reasons.joined(separator: "; "))")
        printError("report: \(reportDirectory)/report.html")
    }

    /// Whether a finished, unfiltered backfill produced the snapshots at `time` (an interrupted one is resumed instead).
    static func hasCompleteSnapshots(_ set: FeatureSet, at time: Timestamp, store: Store) throws -> Bool {
        try store.connection.query(
            """
            SELECT EXISTS (SELECT 1 FROM backfill_runs WHERE set_name = $1 AND set_version = $2 AND finished_at IS NOT NULL
                             AND users_filter IS NULL AND $3::timestamptz = ANY(as_of_times))
               AND EXISTS (SELECT 1 FROM feature_snapshots WHERE set_name = $1 AND set_version = $2 AND as_of = $3::timestamptz)
            """, [set.name, set.version, time.iso8601]
        ).decode(Bool.self, 0, 0) ?? false
    }
}
