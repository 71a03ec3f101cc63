import ArgumentParser
import Foundation
import RecurCore

/// `recur train --version V`: fit a model and write it as an immutable artifact.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a next-purchase model on feature snapshots and write models/VERSION/.",
        discussion: """
            Rows are (user, cutoff) with features as of the cutoff; the label is a purchase in \
            [cutoff, cutoff + horizon). The last cutoff (or --holdout-cutoff) is held out: evaluation is forward in time.
            Example: recur train --version v3 --model gbdt --from 2025-06-01 --to 2025-11-01 --every 7d --horizon 30d
            """
    )

    @OptionGroup var store: StoreOptions
    @OptionGroup var data: TrainingSetOptions
    @Option(help: "Version name of the new model; refused if it exists.") var version: String
    @Option(help: "logistic, gbdt, bgnbd or paretonbd (buy-till-you-die models), or gammagamma (spend per purchase, for PREDICT).") var model = "logistic"
    @Option(name: .customLong("models-dir"), help: "Models folder (default: $RECUR_MODELS_DIR or ./models).") var modelsDir: String?
    @Option(help: "L2 penalty (logistic: on standardised coefficients, like 1/C; gbdt: on leaf values).") var l2: Double?
    @Option(help: "gbdt: number of trees.") var trees = 200
    @Option(help: "gbdt: leaves per tree.") var leaves = 31
    @Option(name: .customLong("learning-rate"), help: "gbdt: shrinkage.") var learningRate = 0.1
    @Option(name: .customLong("min-leaf"), help: "gbdt: minimum rows per leaf.") var minLeaf = 20
    @Option(help: "gbdt: maximum bins per feature (≤ 255).") var bins = 255
    @Option(help: "gbdt: threads.") var threads = 2
    @Option(
        help:
            "auto (default), isotonic, platt or none. A calibrator is fitted on --calibration-cutoff, which the model is not trained on, and applied wherever the model scores; auto keeps platt, isotonic or none, whichever lowers log loss on that cutoff (cross-fitted), and with none trains on that cutoff too."
    )
    var calibrate = "auto"
    @Option(name: .customLong("calibration-cutoff"), help: "The cutoff the calibrator is fitted on (default: the one before the holdout).")
    var calibrationCutoff: String?
    @Flag(
        name: .customLong("btyd-features"),
        help: ArgumentHelp(
            "Add PREDICT's answers as inputs (logistic, gbdt): P(alive), expected purchases, P(a purchase), median days to the next purchase from a BG/NBD fitted on the training cutoffs, and expected spend and value from a Gamma-Gamma when one fits."
        ))
    var btydFeatures = false
    @Option(name: .customLong("early-stopping"), help: "gbdt: stop after this many rounds without validation improvement (0: off).") var earlyStopping = 20
    @Option(
        help: ArgumentHelp(
            "Train on your own labelled rows instead of backfilled cutoffs: a CSV, TSV or JSON Lines file of user, time and --label (features as of each row's time, as `recur features join` gives them).",
            valueName: "file"))
    var rows: String?
    @Option(help: "With --rows: the 0/1 label column.") var label: String?
    @Option(name: .customLong("user-column"), help: "With --rows: the user id column (default: a name events import knows).") var userColumn: String?
    @Option(name: .customLong("time-column"), help: "With --rows: the time column (default: a name events import knows).") var timeColumn: String?
    @Option(name: .customLong("holdout-share"), help: "With --rows: the share of rows, the latest by time, held out for evaluation.")
    var holdoutShare = 0.2
    @Option(name: .customLong("holdout-from"), help: "With --rows: hold out the rows at or after this time instead of a share.") var holdoutFrom: String?
    @Flag(name: .customLong("as-known"), help: "With --rows: count only events stored before each row's time (see `recur features join --help`).")
    var asKnown = false

    func validate() throws {
        if rows != nil {
            guard label != nil else { throw ValidationError("--rows needs --label, the 0/1 column to learn") }
            guard data.cutoffs == nil, data.from == nil, data.to == nil, data.holdoutCutoff == nil else {
                throw ValidationError("--rows takes its times from the rows: leave out --cutoffs, --from, --to and --holdout-cutoff")
            }
            guard holdoutShare > 0, holdoutShare < 1 else { throw ValidationError("--holdout-share must be between 0 and 1, e.g. 0.2") }
        } else if label != nil || userColumn != nil || timeColumn != nil || holdoutFrom != nil || asKnown {
            throw ValidationError("--label, --user-column, --time-column, --holdout-from and --as-known go with --rows")
        }
    }

    func run() throws {
        guard let kind = ModelArtifact.Kind(rawValue: model) else { throw CLIError.usage("--model must be logistic, gbdt, bgnbd, paretonbd or gammagamma") }
        let registry = ModelRegistry(directory: modelsDir)
        if FileManager.default.fileExists(atPath: registry.directory + "/" + version) {
            throw CLIError.failed(ModelError.exists(registry.directory + "/" + version).description)
        }
        let opened = try store.open()
        var labelled: LabelledRows.Loaded?
        let set: FeatureSet, times: [Timestamp], rows: TrainingSet
        if let path = self.rows, let label {
            set = try data.features.resolve()
            var source = LabelledRows(path: path, label: label)
            source.userColumn = userColumn
            source.timeColumn = timeColumn
            source.asKnown = asKnown
            let loaded = try source.load(
                set: set, store: opened, holdout: try holdoutFrom.map { .from(try parseTime($0, option: "--holdout-from")) } ?? .share(holdoutShare))
            for rejection in loaded.summary.firstRejections { printError("train: \(path) \(rejection)") }
            (times, rows, labelled) = (loaded.periods, loaded.data, loaded)
        } else {
            (set, times, rows) = try data.load(store: opened, rowsOnDisk: true)
        }
        var request = ModelTrainer.Request(version: version, kind: kind, set: set, cutoffs: times, horizon: try data.horizonSpan())
        request.population = try data.populationRule()
        if let holdout = data.holdoutCutoff { request.holdoutCutoff = try parseTime(holdout, option: "--holdout-cutoff") }
        if let labelled { request.holdoutCutoff = labelled.holdoutStart }
        if let l2 { request.logistic.l2 = l2; request.gbdt.l2 = l2 }
        request.gbdt.trees = trees; request.gbdt.leaves = leaves; request.gbdt.learningRate = learningRate
        request.gbdt.minSamplesPerLeaf = minLeaf; request.gbdt.bins = bins; request.gbdt.threads = threads
        request.gbdt.earlyStoppingRounds = earlyStopping
        request.btydFeatures = btydFeatures
        guard let mode = Calibrator.Mode(calibrate) else { throw CLIError.usage("--calibrate must be auto, platt, isotonic or none") }
        request.calibration = mode
        if let calibrationCutoff {
            guard mode != .none else { throw CLIError.usage("--calibration-cutoff needs --calibrate auto, platt or isotonic") }
            request.calibrationCutoff = try parseTime(calibrationCutoff, option: "--calibration-cutoff")
        }
        printError("training \(kind.rawValue) \(version) on \(rows.rows) rows × \(set.featureNames.count) features (\(set.reference), \(times.count) cutoffs)")
        var (artifact, metadata) = try ModelTrainer(request: request).train(rows, codeVersion: RecurVersion.current)
        if let labelled, let path = self.rows, let label {
            // Your rows, not cutoffs: the label and the file it came from, so the model can be traced back.
            metadata.population = "rows"
            metadata.parameters["label"] = label
            metadata.parameters["rows_file"] = (path as NSString).lastPathComponent
            metadata.parameters["rows_sha256"] = labelled.sha256
            metadata.parameters["rows_as_known"] = asKnown ? "true" : "false"
            metadata.notes.append("trained on \(labelled.data.rows) rows of \(path) (label \(label)); holdout from \(labelled.holdoutStart.iso8601)")
        }
        try registry.save(artifact, metadata: metadata)
        print(ModelReport.summary(metadata, path: registry.directory + "/" + version))
        for note in metadata.notes { printError("note: \(note)") }
    }
}

/// Text forms of model metadata for the terminal.
enum ModelReport {
    static func summary(_ m: ModelMetadata, path: String) -> String {
        let h = m.holdout
        let rows: [(String, String)] = [
            ("model", "\(m.version) (\(m.kind.rawValue)) → \(path)"),
            ("feature set", m.featureSet), ("horizon", m.horizon), ("population", m.population),
            ("cutoffs", "\(m.cutoffs.first ?? "-") … \(m.cutoffs.last ?? "-") (\(m.cutoffs.count)), holdout \(m.holdoutCutoff)"),
            ("training rows", "\(m.trainingRows) (positive rate \(String(format: "%.4f", m.trainingPositiveRate)))"),
            ("holdout rows", "\(m.holdoutRows) (base rate \(String(format: "%.4f", h.baseRate)))"),
            ("ROC AUC", String(format: "%.4f", h.rocAUC)), ("PR AUC", String(format: "%.4f", h.prAUC)),
            ("log loss", String(format: "%.4f", h.logLoss)), ("Brier", String(format: "%.4f", h.brier)),
            ("ECE", String(format: "%.4f", h.calibrationError)), ("lift, top decile", String(format: "%.2f", h.liftTopDecile)),
            ("train seconds", String(format: "%.2f", m.trainingSeconds))
        ]
        let width = rows.map(\.0.count).max() ?? 0
        return rows.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }.joined(separator: "\n")
    }
}
