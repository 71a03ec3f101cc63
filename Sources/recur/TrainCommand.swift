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
    @Option(help: "logistic, gbdt or bgnbd (the BG/NBD buy-till-you-die model).") var model = "logistic"
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
        help: "Add P(alive) and expected purchases from a BG/NBD fitted on the training cutoffs as two inputs (logistic, gbdt).")
    var btydFeatures = false
    @Option(name: .customLong("early-stopping"), help: "gbdt: stop after this many rounds without validation improvement (0: off).") var earlyStopping = 20

    func run() throws {
        guard let kind = ModelArtifact.Kind(rawValue: model) else { throw CLIError.usage("--model must be logistic, gbdt or bgnbd") }
        let registry = ModelRegistry(directory: modelsDir)
        if FileManager.default.fileExists(atPath: registry.directory + "/" + version) {
            throw CLIError.failed(ModelError.exists(registry.directory + "/" + version).description)
        }
        let opened = try store.open()
        let (set, times, rows) = try data.load(store: opened)
        var request = ModelTrainer.Request(version: version, kind: kind, set: set, cutoffs: times, horizon: try data.horizonSpan())
        request.population = try data.populationRule()
        if let holdout = data.holdoutCutoff { request.holdoutCutoff = try parseTime(holdout, option: "--holdout-cutoff") }
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
        let (artifact, metadata) = try ModelTrainer(request: request).train(rows, codeVersion: RecurVersion.current)
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
