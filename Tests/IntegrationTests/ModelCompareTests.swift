import Foundation
import Testing

@testable import RecurCore

/// `recur models compare` run as users run it, on a real store: two models on two versions of the
/// default feature set, the leakage refusal, scores brought from a file, and the exported notebook.
@Suite(.serialized) struct ModelCompareTests {
    static let horizon = TimeSpan.days(30)
    static let trainingCutoffs = [Timestamp(year: 2025, month: 2, day: 1)!, Timestamp(year: 2025, month: 3, day: 1)!, Timestamp(year: 2025, month: 4, day: 1)!]
    static let evaluationCutoff = Timestamp(year: 2025, month: 5, day: 15)!

    /// A store with generated events, default@1 and default@2 (shorter sessions) backfilled, and a
    /// logistic model on v1 and a GBDT on v2; shared by the tests of this suite.
    struct Fixture {
        var store: Store
        var models: String
        var features: String
        var environment: [String: String]
    }

    // One store for the suite; the suite is serialized, so its connection is never used from two tests at once.
    nonisolated(unsafe) static let fixture: Result<Fixture, any Error> = Result {
        let store = try TestStore.fresh("compare")
        try TestStore.loadGeneratedEvents(into: store, users: 1200, seed: 21, days: 200)
        let features = FileManager.default.temporaryDirectory.appendingPathComponent("recur-compare-features-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: features, withIntermediateDirectories: true)
        let v2 = BuiltinFeatureSets.defaultSet.replacingOccurrences(of: "version = 1", with: "version = 2")
            .replacingOccurrences(of: "session_gap = \"30m\"", with: "session_gap = \"5m\"")
        try v2.write(toFile: features + "/default-v2.toml", atomically: true, encoding: .utf8)
        let catalog = try FeatureCatalog.load(directory: features)
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("recur-compare-models-\(UInt32.random(in: 0...UInt32.max))").path
        let registry = ModelRegistry(directory: models)
        for (version, kind, set) in [("v1", ModelArtifact.Kind.logistic, "default@1"), ("v2", .gbdt, "default@2")] {
            let featureSet = try catalog.resolve(set)
            _ = try Backfill(plan: BackfillPlan(set: featureSet, asOfTimes: trainingCutoffs + [evaluationCutoff])).run(store: store)
            var request = ModelTrainer.Request(version: version, kind: kind, set: featureSet, cutoffs: trainingCutoffs, horizon: horizon)
            request.gbdt.trees = 40
            let data = try TrainingSet.load(set: featureSet, cutoffs: trainingCutoffs, horizon: horizon, population: .active, store: store)
            let (artifact, metadata) = try ModelTrainer(request: request).train(data, codeVersion: "test")
            try registry.save(artifact, metadata: metadata)
        }
        return Fixture(
            store: store, models: models, features: features,
            environment: ["RECUR_HOME": TestStore.home, "RECUR_SCHEMA": store.location.schema, "RECUR_MODELS_DIR": models, "RECUR_FEATURES_DIR": features])
    }

    struct Outcome { var status: Int32; var stdout: String; var stderr: String }

    func recur(_ arguments: [String], _ fixture: Fixture) throws -> Outcome {
        try execute(RecurBinary.path, arguments, environment: fixture.environment)
    }

    /// Runs a program to its end and collects what it printed.
    func execute(_ executable: String, _ arguments: [String], environment extra: [String: String] = [:]) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment.removeValue(forKey: "DATABASE_URL")
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    func exportFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("recur-compare-export-\(UInt32.random(in: 0...UInt32.max))").path
    }

    /// scores.csv as columns: users, labels and each model's scores.
    func readScores(_ path: String) throws -> (header: [String], users: [String], labels: [UInt8], columns: [[Double]]) {
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        let header = lines[0]
        var columns = [[Double]](repeating: [], count: header.count - 3)
        for line in lines.dropFirst() { for k in columns.indices { columns[k].append(Double(line[3 + k])!) } }
        return (header, lines.dropFirst().map { $0[0] }, lines.dropFirst().map { UInt8($0[2])! }, columns)
    }

    @Test func eachModelIsScoredWithItsOwnFeatureSetOnTheSameRows() throws {
        let fixture = try Self.fixture.get()
        let export = exportFolder()
        let run = try recur(
            ["models", "compare", "v1", "v2", "--cutoff", "2025-05-15", "--format", "json", "--segments", "--bootstrap", "200", "--export-dir", export], fixture
        )
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let comparison = try #require(json["comparison"] as? [String: Any])
        let models = try #require(comparison["models"] as? [[String: Any]])
        #expect(models.map { $0["name"] as? String } == ["v1", "v2"])
        #expect(((json["provenance"] as? [String: Any])?["evaluation_set_sha256"] as? String)?.count == 64)
        #expect(!((comparison["segments"] as? [Any]) ?? []).isEmpty)

        // The export's rows, rescored here: each model with the features of its own version.
        let folder = export + "/compare-v1-v2"
        let scores = try readScores(folder + "/scores.csv")
        #expect(scores.header == ["user", "cutoff", "label", "v1", "v2"])
        let registry = ModelRegistry(directory: fixture.models)
        let catalog = try FeatureCatalog.load(directory: fixture.features)
        var mismatched = 0
        for (k, version) in ["v1", "v2"].enumerated() {
            let (artifact, _) = try registry.load(version)
            let own = try TrainingSet.load(
                set: try catalog.resolve("default@\(artifact.featureSetVersion)"), cutoffs: [Self.evaluationCutoff], horizon: Self.horizon, population: .active,
                store: fixture.store)
            let other = try TrainingSet.load(
                set: try catalog.resolve("default@\(3 - artifact.featureSetVersion)"), cutoffs: [Self.evaluationCutoff], horizon: Self.horizon,
                population: .active, store: fixture.store)
            let p = own.featureNames.count
            let row = Dictionary(uniqueKeysWithValues: own.users.enumerated().map { ($1, $0) })
            let otherRow = Dictionary(uniqueKeysWithValues: other.users.enumerated().map { ($1, $0) })
            for (r, user) in scores.users.enumerated() {
                let i = try #require(row[user])
                #expect(own.labels[i] == scores.labels[r])
                #expect(artifact.probability(Array(own.features[(i * p)..<((i + 1) * p)])) == scores.columns[k][r], "\(version) \(user)")
                let j = try #require(otherRow[user])
                if artifact.probability(Array(other.features[(j * p)..<((j + 1) * p)])) != scores.columns[k][r] { mismatched += 1 }
            }
            // The AUC printed is the AUC of these rows.
            let auc = try #require((models[k]["metrics"] as? [String: Any])?["roc_auc"] as? Double)
            #expect(abs(auc - DeLong(scores: [scores.columns[k]], labels: scores.labels).aucs[0]) < 1e-12)
        }
        // Scored with the other version's features, some users would get other scores: the versions really differ.
        #expect(mismatched > 0)
        for file in ["report.html", "metrics.json", "compare.ipynb"] { #expect(FileManager.default.fileExists(atPath: folder + "/" + file)) }
        let html = try String(contentsOfFile: folder + "/report.html", encoding: .utf8)
        // Self-contained: inline SVG, nothing fetched, no scripts.
        #expect(html.contains("<svg") && !html.contains("src=") && !html.contains("<link") && !html.contains("<script"))
    }

    @Test func refusesRowsAModelCouldHaveLearntFrom() throws {
        let fixture = try Self.fixture.get()
        // The models trained on cutoffs 2025-02-01 and 2025-03-01 (2025-04-01 held out): labels up to 2025-03-31.
        let refused = try recur(["models", "compare", "v1", "v2", "--cutoff", "2025-03-01", "--no-export"], fixture)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("model v1 learnt labels up to 2025-03-31T00:00:00Z") && refused.stderr.contains("model v2"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--cutoff 2025-03-31T00:00:00Z or later"))
        // Their own holdout is clean.
        #expect(try recur(["models", "compare", "v1", "v2", "--on-holdout-of", "v2", "--no-export"], fixture).status == 0)
        let allowed = try recur(["models", "compare", "v1", "v2", "--cutoff", "2025-03-01", "--no-export", "--allow-overlap"], fixture)
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(allowed.stdout.contains("warning (--allow-overlap)"))
    }

    @Test func leftToChooseItMovesPastAHoldoutTheModelsLearntFrom() throws {
        let fixture = try Self.fixture.get()
        // v3 learns 45 days of labels from 2025-03-01: up to 2025-04-15, past the 2025-04-01 holdout.
        let models = FileManager.default.temporaryDirectory.appendingPathComponent("recur-compare-overlap-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: fixture.models + "/v1", toPath: models + "/v1")
        let set = try FeatureCatalog.load(directory: nil).resolve("default@1")
        let request = ModelTrainer.Request(version: "v3", kind: .logistic, set: set, cutoffs: Self.trainingCutoffs, horizon: .days(45))
        let data = try TrainingSet.load(set: set, cutoffs: Self.trainingCutoffs, horizon: .days(45), population: .active, store: fixture.store)
        let (artifact, metadata) = try ModelTrainer(request: request).train(data, codeVersion: "test")
        try ModelRegistry(directory: models).save(artifact, metadata: metadata)
        var moved = fixture
        moved.environment["RECUR_MODELS_DIR"] = models
        let run = try recur(["models", "compare", "v1", "v3", "--no-export"], moved)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("evaluating at 2025-05-15T00:00:00Z") && run.stderr.contains("overlaps"), "\(run.stderr)")
        // A cutoff the user chose is never moved.
        let chosen = try recur(["models", "compare", "v1", "v3", "--on-holdout-of", "v3", "--no-export"], moved)
        #expect(chosen.status != 0 && chosen.stderr.contains("--cutoff 2025-04-15T00:00:00Z or later"), "\(chosen.stderr)")
    }

    @Test func scoresFromAFileAreMatchedAndTheUnmatchedCounted() throws {
        let fixture = try Self.fixture.get()
        let export = exportFolder()
        let first = try recur(["models", "compare", "v1", "v2", "--cutoff", "2025-05-15", "--export-dir", export, "--format", "json"], fixture)
        #expect(first.status == 0, "\(first.stderr)")
        let scores = try readScores(export + "/compare-v1-v2/scores.csv")
        // v1's own scores under another name, minus five rows, plus two users that are not evaluation rows.
        var csv = "user_id,cutoff,copy_of_v1\n"
        for r in scores.users.indices.dropFirst(5) { csv += "\(scores.users[r]),2025-05-15T00:00:00Z,\(scores.columns[0][r])\n" }
        csv += "nobody-1,2025-05-15,0.5\nnobody-2,2025-05-15,0.25\n"
        let file = export + "/outside.csv"
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let run = try recur(["models", "compare", "v1", "v2", "--cutoff", "2025-05-15", "--scores", file, "--format", "json", "--no-export"], fixture)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let matching = try #require((json["provenance"] as? [String: Any])?["scores_file"] as? [String: Any])
        #expect(matching["matched"] as? Int == scores.users.count - 5)
        #expect(matching["unmatched_file_rows"] as? Int == 2)
        #expect(matching["evaluation_rows_without_score"] as? Int == 5)
        let models = try #require((json["comparison"] as? [String: Any])?["models"] as? [[String: Any]])
        #expect(models.count == 3 && (models[0]["metrics"] as? [String: Any])?["rows"] as? Int == scores.users.count - 5)
        // A model compared with itself: difference 0, p = 1.
        let test = try #require(models[2]["delong_vs_baseline"] as? [String: Any])
        #expect(test["difference"] as? Double == 0 && test["p"] as? Double == 1)

        try "user,cutoff,x\nu1,2025-05-15,high\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bad = try recur(["models", "compare", "v1", "--scores", file, "--cutoff", "2025-05-15", "--no-export"], fixture)
        #expect(bad.status != 0 && bad.stderr.contains("outside.csv:2: score 'high' for x is not a finite number"), "\(bad.stderr)")
    }

    /// The exported notebook, run headless with nbclient, gives the CLI's AUCs to 1e-9.
    @Test func theExportedNotebookReproducesTheAUCs() throws {
        let fixture = try Self.fixture.get()
        let python =
            ProcessInfo.processInfo.environment["RECUR_NOTEBOOK_PYTHON"] ?? FileManager.default.currentDirectoryPath + "/.build/notebook-venv/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_NOTEBOOK"] == "1" { Issue.record("no notebook venv at \(python)") }
            print("ModelCompareTests: skipped the notebook check: no Python with nbclient at \(python) (scripts/test.sh makes one)")
            return
        }
        let export = exportFolder()
        let run = try recur(
            ["models", "compare", "v1", "v2", "--cutoff", "2025-05-15", "--segments", "--bootstrap", "100", "--export-dir", export, "--format", "json"],
            fixture)
        #expect(run.status == 0, "\(run.stderr)")
        let executed = try execute(
            python, [FileManager.default.currentDirectoryPath + "/Tests/notebook/run_notebook.py", export + "/compare-v1-v2/compare.ipynb"])
        #expect(executed.status == 0, "\(executed.stderr)")
        let notebook = try #require(try JSONSerialization.jsonObject(with: Data(executed.stdout.utf8)) as? [String: Double])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let models = try #require((json["comparison"] as? [String: Any])?["models"] as? [[String: Any]])
        for model in models {
            let name = try #require(model["name"] as? String)
            let auc = try #require((model["metrics"] as? [String: Any])?["roc_auc"] as? Double)
            let theirs = try #require(notebook[name])
            #expect(abs(auc - theirs) < 1e-9, "\(name): CLI \(auc), notebook \(theirs)")
        }
    }
}

extension ModelCompareTests {
    /// The comparison against pROC, the established R implementation of DeLong's method, on the
    /// exported rows: AUC, variance, interval and the paired p-value.
    @Test func deLongNumbersEqualPROC() throws {
        let fixture = try Self.fixture.get()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/Rscript") else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_PROC"] == "1" { Issue.record("Rscript with pROC is missing") }
            print("ModelCompareTests: skipped the pROC check: no /usr/bin/Rscript (scripts/setup.sh installs r-cran-proc)")
            return
        }
        let export = exportFolder()
        let run = try recur(["models", "compare", "v1", "v2", "--cutoff", "2025-05-15", "--export-dir", export, "--format", "json"], fixture)
        #expect(run.status == 0, "\(run.stderr)")
        let checked = try execute(
            "/usr/bin/Rscript", [FileManager.default.currentDirectoryPath + "/Tests/proc/delong_check.R", export + "/compare-v1-v2/scores.csv"])
        #expect(checked.status == 0, "\(checked.stderr)")
        let proc = checked.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let models = try #require((json["comparison"] as? [String: Any])?["models"] as? [[String: Any]])
        #expect(proc.count == models.count)
        for (line, model) in zip(proc, models) {
            let values = line.dropFirst().compactMap(Double.init)
            try #require(values.count == 5, "pROC printed \(line)")
            let metrics = try #require(model["metrics"] as? [String: Any])
            let se = try #require(model["auc_standard_error"] as? Double)
            #expect(line[0] == model["name"] as? String)
            #expect(abs(values[0] - (metrics["roc_auc"] as? Double ?? .nan)) < 1e-12)
            #expect(abs(values[1] - se * se) < 1e-12)
            #expect(abs(values[2] - (model["auc_ci_low"] as? Double ?? .nan)) < 1e-9 && abs(values[3] - (model["auc_ci_high"] as? Double ?? .nan)) < 1e-9)
            let p = ((model["delong_vs_baseline"] as? [String: Any])?["p"] as? Double) ?? 1
            #expect(abs(values[4] - p) < 1e-9, "\(line[0]): pROC p \(values[4]), recur \(p)")
        }
    }
}

extension ModelCompareTests {
    /// `recur train --model bgnbd` and `--calibrate` through the CLI, then compared with the others.
    @Test func buyTillYouDieAndCalibratedModelsTrainAndCompare() throws {
        let fixture = try Self.fixture.get()
        let models = try modelsCopy(fixture, production: "v1")
        let cutoffs = "2025-02-01,2025-03-01,2025-04-01"
        let bg = try recur(
            ["train", "--models-dir", models, "--version", "bg", "--model", "bgnbd", "--cutoffs", cutoffs, "--horizon", "30d", "--calibrate", "none"], fixture)
        #expect(bg.status == 0, "\(bg.stderr)")
        #expect(bg.stderr.contains("BG/NBD on") && bg.stderr.contains("alpha ="), "\(bg.stderr)")
        let calibrated = try recur(
            [
                "train", "--models-dir", models, "--version", "lr-iso", "--model", "logistic", "--cutoffs", cutoffs, "--horizon", "30d",
                "--calibrate", "isotonic", "--calibration-cutoff", "2025-02-01"
            ], fixture)
        #expect(calibrated.status == 0, "\(calibrated.stderr)")
        let (artifact, metadata) = try ModelRegistry(directory: models).load("lr-iso")
        #expect(artifact.calibration?.method == .isotonic && metadata.calibration?.cutoff == "2025-02-01T00:00:00Z")
        #expect(metadata.cutoffs.count == 3 && metadata.calibration?.holdoutUncalibrated.rows == metadata.holdoutRows)
        let (bgArtifact, _) = try ModelRegistry(directory: models).load("bg")
        let explained = bgArtifact.explain(Array(repeating: 3, count: bgArtifact.featureNames.count), top: 5)
        #expect(explained.first?.feature == "p_alive" && explained[1].feature == "expected_purchases_in_horizon")
        let tooFew = try recur(
            ["train", "--models-dir", models, "--version", "x", "--cutoffs", "2025-03-01,2025-04-01", "--horizon", "30d", "--calibrate", "platt"], fixture)
        #expect(tooFew.status != 0 && tooFew.stderr.contains("--calibrate none"), "\(tooFew.stderr)")
        // Left to choose (the default), two cutoffs train uncalibrated, and three say what was chosen and why.
        let twoCutoffs = try recur(["train", "--models-dir", models, "--version", "auto2", "--cutoffs", "2025-03-01,2025-04-01", "--horizon", "30d"], fixture)
        #expect(twoCutoffs.status == 0 && twoCutoffs.stderr.contains("calibration: none"), "\(twoCutoffs.stderr)")
        let auto = try recur(["train", "--models-dir", models, "--version", "auto3", "--cutoffs", cutoffs, "--horizon", "30d"], fixture)
        #expect(auto.status == 0, "\(auto.stderr)")
        let (autoArtifact, autoMetadata) = try ModelRegistry(directory: models).load("auto3")
        let chosen = try #require(autoMetadata.parameters["calibration_chosen"])
        #expect(auto.stderr.contains("calibration chosen on rows the model was not trained on") && auto.stderr.contains(": \(chosen)"), "\(auto.stderr)")
        #expect(chosen == (autoArtifact.calibration?.method.rawValue ?? "none"))
        if chosen != "none" {
            let losses = try #require(autoMetadata.calibration?.choice?.validationLogLoss)
            #expect(losses[chosen]! < losses["none"]!)
        }

        let withBTYD = try recur(
            [
                "train", "--models-dir", models, "--version", "gb-btyd", "--model", "gbdt", "--trees", "30", "--cutoffs", cutoffs,
                "--horizon", "30d", "--calibrate", "none", "--btyd-features"
            ], fixture)
        #expect(withBTYD.status == 0, "\(withBTYD.stderr)")
        let (btydArtifact, _) = try ModelRegistry(directory: models).load("gb-btyd")
        let derived = BuyTillYouDieModel.DerivedFeature.allCases.map(\.rawValue)
        #expect(btydArtifact.btydFeatures?.spend != nil && Array(btydArtifact.inputNames.suffix(derived.count)) == derived)
        // Served and offline scores agree, and the server does not treat the trees as constant between splits.
        let scorer = ModelScorer(btydArtifact)
        #expect(!scorer.isPiecewiseConstant)
        let rows = try TrainingSet.load(
            set: try FeatureCatalog.builtin.resolve("default@1"), cutoffs: [Self.evaluationCutoff], horizon: Self.horizon, population: .active,
            store: fixture.store)
        let p = rows.featureNames.count
        for i in stride(from: 0, to: rows.rows, by: 37) {
            let x = Array(rows.features[(i * p)..<((i + 1) * p)])
            #expect(x.withUnsafeBufferPointer { scorer.probability($0) }.bitPattern == btydArtifact.probability(x).bitPattern)
        }
        #expect(btydArtifact.gbdt!.gainImportance.count == p + derived.count)

        let run = try recur(
            ["models", "compare", "--models-dir", models, "v1", "bg", "lr-iso", "gb-btyd", "--cutoff", "2025-05-15", "--format", "json", "--no-export"], fixture
        )
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let compared = try #require((json["comparison"] as? [String: Any])?["models"] as? [[String: Any]])
        let aucs = compared.compactMap { ($0["metrics"] as? [String: Any])?["roc_auc"] as? Double }
        #expect(aucs.count == 4 && aucs.allSatisfy { $0 > 0.6 && $0 < 1 }, "\(aucs)")
        try expectedPurchasesAreCompared(fixture, models: models, cutoffs: cutoffs)
    }

    /// `models compare` with a buy-till-you-die and a spend model: expected against actual purchases,
    /// the actual side counted here by SQL of its own.
    func expectedPurchasesAreCompared(_ fixture: Fixture, models: String, cutoffs: String) throws {
        let gg = try recur(["train", "--models-dir", models, "--version", "gg", "--model", "gammagamma", "--cutoffs", cutoffs, "--horizon", "30d"], fixture)
        #expect(gg.status == 0, "\(gg.stderr)")
        let run = try recur(
            ["models", "compare", "--models-dir", models, "v1", "bg", "gg", "--cutoff", "2025-05-15", "--format", "json", "--no-export"], fixture)
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let purchases = try #require(json["purchases"] as? [String: Any], "\(run.stdout.prefix(400))")
        let rows = try #require(purchases["rows"] as? Int)
        #expect(rows == (json["provenance"] as? [String: Any])?["rows"] as? Int)
        let window = """
            FROM events e JOIN feature_snapshots s ON s.user_id = e.user_id AND s.set_name = 'default' AND s.set_version = 1
              AND s.as_of = '2025-05-15T00:00:00Z'
            WHERE e.event_type = 'purchase' AND e.ts >= '2025-05-15T00:00:00Z' AND e.ts < '2025-06-14T00:00:00Z'
            """
        let days = try fixture.store.connection.query("SELECT count(DISTINCT (e.user_id, (e.ts AT TIME ZONE 'UTC')::date)) " + window).decode(Int.self, 0, 0)
        let buyers = try fixture.store.connection.query("SELECT count(DISTINCT e.user_id) " + window).decode(Int.self, 0, 0)
        let meanActual = try #require(purchases["mean_actual"] as? Double)
        #expect(abs(meanActual * Double(rows) - Double(days ?? -1)) < 1e-6, "\(meanActual) × \(rows) vs \(days ?? -1)")
        let fits = try #require(purchases["models"] as? [[String: Any]])
        #expect(fits.map { $0["model"] as? String } == ["bg"])
        let mae = try #require(fits.first?["mae"] as? Double)
        #expect(mae > 0 && mae < 5)
        let table = try #require(purchases["by_frequency"] as? [[String: Any]])
        #expect(table.compactMap { $0["rows"] as? Int }.reduce(0, +) == rows && table.first?["frequency"] as? String == "0")
        let spend = try #require(purchases["spend"] as? [String: Any])
        #expect(spend["model"] as? String == "gg" && spend["rows"] as? Int == buyers)
        #expect((spend["mae"] as? Double).map { $0 > 0 && $0.isFinite } == true)
        // The terminal table says the same.
        let text = try recur(["models", "compare", "--models-dir", models, "v1", "bg", "gg", "--cutoff", "2025-05-15", "--no-export"], fixture)
        #expect(text.status == 0 && text.stdout.contains("Expected purchases") && text.stdout.contains("Spend per purchase day (gg)"), "\(text.stdout)")
    }
}
