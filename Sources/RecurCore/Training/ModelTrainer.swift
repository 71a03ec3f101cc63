import Foundation

/// Fits a model on a training set's earlier cutoffs and scores it on the holdout cutoff.
public struct ModelTrainer: Sendable {
    /// Everything `recur train` needs besides the data.
    public struct Request: Sendable {
        public var version: String
        public var kind: ModelArtifact.Kind
        public var set: FeatureSet
        public var cutoffs: [Timestamp]
        public var holdoutCutoff: Timestamp?
        public var horizon: TimeSpan
        public var population: TrainingSet.Population = .active
        public var logistic = LogisticRegression.Parameters()
        public var gbdt = GradientBoosting.Parameters()
        /// Fit a calibrator on `calibrationCutoff` (default: the cutoff before the holdout), which the
        /// model is then not trained on; `auto` keeps one only where it lowers log loss there.
        public var calibration: Calibrator.Mode = .none
        public var calibrationCutoff: Timestamp?
        /// Add P(alive) and expected purchases from a BG/NBD fitted on the training rows as two inputs (logistic and gbdt).
        public var btydFeatures = false

        public init(version: String, kind: ModelArtifact.Kind, set: FeatureSet, cutoffs: [Timestamp], horizon: TimeSpan) {
            self.version = version
            self.kind = kind
            self.set = set
            self.cutoffs = cutoffs
            self.horizon = horizon
        }
    }

    public let request: Request
    public init(request: Request) { self.request = request }

    /// Trains on `data` (already loaded) and returns the artifact and its metadata.
    public func train(_ data: TrainingSet, codeVersion: String) throws -> (ModelArtifact, ModelMetadata) {
        let cutoffs = Array(Set(request.cutoffs)).sorted()
        let holdout = request.holdoutCutoff ?? cutoffs.last!
        var (training, test) = data.split(holdout: holdout.microseconds)
        let beforeHoldout = training
        var calibrationRows: TrainingSet?
        var calibrationCutoff: Timestamp?
        var mode = request.calibration
        var calibrationNotes = [String]()
        // Left to choose, too few cutoffs to spare one means no calibration, not a refusal.
        if !request.kind.scoresPurchases {
            // A spend model gives no probability to calibrate (and its holdout metrics are not a number).
            mode = .none
        } else if mode == .auto, request.calibrationCutoff == nil, Set(training.cutoffs).count < 2 {
            mode = .none
            calibrationNotes.append("calibration: none (it needs a cutoff besides the holdout and one to train on)")
        }
        if mode != .none {
            let before = cutoffs.filter { $0 < holdout }
            guard let chosen = request.calibrationCutoff ?? before.last else {
                throw TrainingError.emptyTraining(
                    "calibration needs a cutoff before the holdout \(holdout.iso8601) that is not trained on; give more cutoffs or --calibrate none")
            }
            guard chosen != holdout, cutoffs.contains(chosen) else {
                throw TrainingError.emptyTraining("the calibration cutoff \(chosen.iso8601) must be one of the cutoffs and not the holdout")
            }
            let (rest, calibrate) = training.split(holdout: chosen.microseconds)
            training = rest
            calibrationRows = calibrate
            calibrationCutoff = chosen
            guard calibrate.rows > 0 else { throw TrainingError.emptyTraining("no rows at the calibration cutoff \(chosen.iso8601)") }
            guard training.rows > 0 else {
                throw TrainingError.emptyTraining(
                    "no cutoffs left to train on besides the calibration cutoff \(chosen.iso8601) and the holdout; give more cutoffs or --calibrate none")
            }
        }
        guard training.rows > 0 else { throw TrainingError.emptyTraining("no rows before the holdout cutoff \(holdout.iso8601); give more cutoffs") }
        guard test.rows > 0 else { throw TrainingError.emptyTraining("no rows at the holdout cutoff \(holdout.iso8601)") }
        let positives = training.labels.reduce(0) { $0 + Int($1) }
        guard positives > 0 && positives < training.rows else {
            throw TrainingError.emptyTraining("every training label is the same; widen the horizon or add cutoffs")
        }
        let names = data.featureNames
        let started = Date()
        var (artifact, notes, parameters) = try fit(training, names: names)
        var calibration: CalibrationReport?
        parameters["calibration"] = request.calibration.name
        if let calibrationRows, let calibrationCutoff {
            let raw = try Self.predict(artifact, calibrationRows)
            var method: Calibrator.Method?
            var choice: CalibrationChoice?
            if case .fixed(let fixed) = mode {
                method = fixed
            } else {
                let chosen = Calibrator.choose(predictions: raw, labels: calibrationRows.labels, users: calibrationRows.users)
                method = chosen.method
                choice = chosen
                calibrationNotes.append(chosen.reason)
            }
            if mode == .auto {
                // Chosen (or none): the model trains on the calibration cutoff too, and a chosen
                // calibrator, fitted on scores of rows that model had not seen, is applied to it,
                // as scikit-learn's CalibratedClassifierCV(ensemble=False) does. Holding the newest
                // cutoff out cost the GBDT 0.017 AUC on a 6,000-user shop.
                training = beforeHoldout
                (artifact, notes, parameters) = try fit(training, names: names)
                parameters["calibration"] = request.calibration.name
            }
            // Asked for by name, the calibrator is fitted on the cutoff the model did not train on, as before.
            parameters["calibration_chosen"] = method?.rawValue ?? "none"
            if let method {
                let uncalibrated = try Self.predict(artifact, test)
                artifact.calibration = Calibrator.fit(method, predictions: raw, labels: calibrationRows.labels)
                calibration = CalibrationReport(
                    method: method, cutoff: calibrationCutoff.iso8601, rows: calibrationRows.rows,
                    holdoutUncalibrated: Metrics(predictions: uncalibrated, labels: test.labels), choice: choice)
            }
        }
        notes += calibrationNotes
        let positiveRate = Double(training.labels.reduce(0) { $0 + Int($1) }) / Double(training.rows)
        let seconds = Date().timeIntervalSince(started)
        let predictions = try Self.predict(artifact, test)
        if let c = calibration {
            let after = Metrics(predictions: predictions, labels: test.labels)
            notes.append(
                String(
                    format: "calibration (%@ on %@, %d rows): holdout ECE %.4f → %.4f, log loss %.4f → %.4f, AUC %.4f → %.4f",
                    c.method.rawValue, c.cutoff, c.rows, c.holdoutUncalibrated.calibrationError, after.calibrationError,
                    c.holdoutUncalibrated.logLoss, after.logLoss, c.holdoutUncalibrated.rocAUC, after.rocAUC))
        }
        let metadata = ModelMetadata(
            version: request.version, kind: request.kind, featureSet: request.set.reference,
            cutoffs: cutoffs.map(\.iso8601), holdoutCutoff: holdout.iso8601, horizon: request.horizon.description,
            population: request.population.rawValue, trainingRows: training.rows, holdoutRows: test.rows,
            trainingPositiveRate: positiveRate, parameters: parameters,
            holdout: Metrics(predictions: predictions, labels: test.labels), trainingSeconds: seconds, notes: notes,
            codeVersion: codeVersion, createdAt: Timestamp.now.iso8601, calibration: calibration)
        return (artifact, metadata)
    }

    /// Fits the requested kind on `training`; the artifact, its notes and its parameters.
    private func fit(_ training: TrainingSet, names: [String]) throws -> (ModelArtifact, [String], [String: String]) {
        var notes = [String](), parameters = [String: String]()
        var artifact: ModelArtifact
        // The model's inputs: the set's features, then the BG/NBD's two when asked for.
        var btyd: BuyTillYouDieModel?
        // The model's rows: the training set's own (read batch by batch, from disk when it spilled them).
        var inputs: any FeatureRows = training, inputNames = names
        if request.btydFeatures {
            guard request.kind == .logistic || request.kind == .gbdt else {
                throw TrainingError.emptyTraining("--btyd-features is for logistic and gbdt models")
            }
            // The derived inputs are computed from whole rows: with them the rows are held in memory.
            let rows = try training.materialized()
            var fitted = try BuyTillYouDieModel.fit(features: rows, rows: training.rows, names: names, horizonDays: request.horizon.days)
            if let m = fitted.model {
                notes.append(
                    String(
                        format: "BG/NBD features from %d purchaser rows: r = %.4f, alpha = %.4f, a = %.4f, b = %.4f", fitted.fittedCustomers, m.r, m.alpha, m.a,
                        m.b))
            }
            var derived: [BuyTillYouDieModel.DerivedFeature] = [.pAlive, .expectedPurchases, .pPurchase, .daysToNextPurchase]
            // Spend and value too when the set has what Gamma-Gamma reads and enough repeat buyers to fit it.
            let summary = try training.newestSummary()
            do {
                let spend = try SpendModel.fit(features: summary.features, rows: summary.rows, names: names, asOf: summary.asOf)
                fitted.spend = spend
                derived += [.expectedSpend, .value]
                notes.append(
                    String(
                        format: "Gamma-Gamma features from %d repeat purchasers as of %@: p = %.4f, q = %.4f, v = %.4f", spend.model.fittedCustomers,
                        summary.asOf, spend.model.p, spend.model.q, spend.model.v))
            } catch let error as TrainingError {
                notes.append("no spend features: \(error)")
            }
            fitted.derived = derived
            inputNames += fitted.derivedFeatureNames
            inputs = InMemoryRows(values: fitted.augment(rows, rows: training.rows, width: names.count), rows: training.rows, width: inputNames.count)
            btyd = fitted
            parameters["btyd_features"] = fitted.derivedFeatureNames.joined(separator: ",")
        }
        switch request.kind {
        case .logistic:
            let (model, report) = try LogisticRegression.fit(
                rows: inputs, names: inputNames,
                labels: training.labels, parameters: request.logistic)
            artifact = ModelArtifact(
                kind: .logistic, featureSetName: request.set.name, featureSetVersion: request.set.version, featureNames: names, logistic: model)
            notes += report.notes + ["Newton iterations: \(report.iterations)"]
            parameters.merge(["l2": "\(request.logistic.l2)", "tolerance": "\(request.logistic.tolerance)"]) { $1 }
        case .bgnbd, .paretonbd:
            let model = try BuyTillYouDieModel.fit(
                features: try training.materialized(), rows: training.rows, names: names, horizonDays: request.horizon.days, pareto: request.kind == .paretonbd)
            artifact = ModelArtifact(
                kind: request.kind, featureSetName: request.set.name, featureSetVersion: request.set.version, featureNames: names, bgnbd: model)
            func converged(_ fit: FitReport?) -> String {
                fit.map { String(format: ", %d iterations, gradient norm %.2e%@", $0.iterations, $0.gradientNorm, $0.converged ? "" : " — DID NOT CONVERGE") }
                    ?? ""
            }
            if let m = model.pareto {
                notes = [
                    String(
                        format: "Pareto/NBD on %d purchaser rows (days): r = %.4f, alpha = %.4f, s = %.4f, beta = %.4f, log-likelihood %.2f%@",
                        model.fittedCustomers, m.r, m.alpha, m.s, m.beta, m.logLikelihood, converged(m.fit))
                ]
                parameters = ["r": "\(m.r)", "alpha": "\(m.alpha)", "s": "\(m.s)", "beta": "\(m.beta)", "log_likelihood": "\(m.logLikelihood)"]
            } else if let m = model.model {
                notes = [
                    String(
                        format: "BG/NBD on %d purchaser rows (days): r = %.4f, alpha = %.4f, a = %.4f, b = %.4f, log-likelihood %.2f%@",
                        model.fittedCustomers, m.r, m.alpha, m.a, m.b, m.logLikelihood, converged(m.fit))
                ]
                parameters = ["r": "\(m.r)", "alpha": "\(m.alpha)", "a": "\(m.a)", "b": "\(m.b)", "log_likelihood": "\(m.logLikelihood)"]
            }
        case .gammagamma:
            let summary = try training.newestSummary()
            let asOf = summary.asOf
            let model = try SpendModel.fit(features: summary.features, rows: summary.rows, names: names, asOf: asOf)
            artifact = ModelArtifact(kind: .gammagamma, featureSetName: request.set.name, featureSetVersion: request.set.version, featureNames: names)
            artifact.spend = model
            let m = model.model
            notes = [
                String(
                    format:
                        "Gamma-Gamma on %d repeat purchasers as of %@: p = %.4f, q = %.4f, v = %.4f, log-likelihood %.2f, %d iterations, gradient norm %.2e%@",
                    m.fittedCustomers, asOf, m.p, m.q, m.v, m.logLikelihood, m.fit?.iterations ?? 0, m.fit?.gradientNorm ?? .nan,
                    m.fit?.converged == false ? " — DID NOT CONVERGE" : "")
            ]
            parameters = ["p": "\(m.p)", "q": "\(m.q)", "v": "\(m.v)", "log_likelihood": "\(m.logLikelihood)", "summary_as_of": asOf]
        case .gbdt:
            let (ensemble, treeNotes) = try GradientBoosting.fit(
                rows: inputs, names: inputNames,
                labels: training.labels, parameters: request.gbdt)
            artifact = ModelArtifact(kind: .gbdt, featureSetName: request.set.name, featureSetVersion: request.set.version, featureNames: names, gbdt: ensemble)
            notes += treeNotes + ["trees: \(ensemble.trees.count)"]
            let g = request.gbdt
            parameters.merge([
                "trees": "\(g.trees)", "leaves": "\(g.leaves)", "learning_rate": "\(g.learningRate)", "min_samples_per_leaf": "\(g.minSamplesPerLeaf)",
                "l2": "\(g.l2)", "bins": "\(g.bins)", "threads": "\(g.threads)", "early_stopping_rounds": "\(g.earlyStoppingRounds)"
            ]) { $1 }
        }
        artifact.btydFeatures = btyd
        return (artifact, notes, parameters)
    }

    /// The artifact's probability for every row, read batch by batch.
    public static func predict(_ artifact: ModelArtifact, _ data: TrainingSet) throws -> [Double] {
        let p = data.featureNames.count
        var out = [Double]()
        out.reserveCapacity(data.rows)
        try data.forEachBatch(maxRows: TrainingSet.batchRows) { _, all in
            for r in 0..<(all.count / max(1, p)) { out.append(artifact.probability(UnsafeBufferPointer(rebasing: all[(r * p)..<((r + 1) * p)]))) }
        }
        return out
    }
}
