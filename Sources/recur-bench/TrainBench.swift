import ArgumentParser
import Foundation
import RecurCore

/// Fits Recur's models on an exported dataset CSV, timing the fit alone, for bench/train.
struct TrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit logistic or gbdt on a `recur export dataset` CSV; the last cutoff is the holdout."
    )

    @Option(help: "Dataset CSV: user_id,cutoff,<features…>,label.") var csv: String
    @Option(help: "logistic or gbdt.") var model = "logistic"
    @Option(help: "Timed fits; the median is reported.") var runs = 3
    @Option(help: "gbdt threads.") var threads = 2

    func run() throws {
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        var lines = text.split(separator: "\n")
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        let names = Array(header.dropFirst(2).dropLast())
        let p = names.count
        var cutoffs = [Substring](), x = [Double](), y = [UInt8]()
        x.reserveCapacity(lines.count * p)
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == p + 3 else { continue }
            cutoffs.append(fields[1])
            for j in 0..<p { x.append(fields[j + 2].isEmpty ? .nan : Double(fields[j + 2]) ?? .nan) }
            y.append(fields[p + 2] == "1" ? 1 : 0)
        }
        let holdout = cutoffs.max()!
        var trainX = [Double](), trainY = [UInt8](), testX = [Double](), testY = [UInt8]()
        for i in 0..<y.count {
            if cutoffs[i] == holdout {
                testX += x[(i * p)..<((i + 1) * p)]; testY.append(y[i])
            } else {
                trainX += x[(i * p)..<((i + 1) * p)]; trainY.append(y[i])
            }
        }
        var times = [Double]()
        var auc = 0.0
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            let artifact: ModelArtifact
            if model == "gbdt" {
                var parameters = GradientBoosting.Parameters()
                parameters.threads = threads
                parameters.earlyStoppingRounds = 0
                let (ensemble, _) = try GradientBoosting.fit(features: trainX, rows: trainY.count, names: names, labels: trainY, parameters: parameters)
                artifact = ModelArtifact(kind: .gbdt, featureSetName: "bench", featureSetVersion: 1, featureNames: names, gbdt: ensemble)
            } else {
                let (fitted, _) = try LogisticRegression.fit(
                    features: trainX, rows: trainY.count, names: names, labels: trainY, parameters: LogisticRegression.Parameters())
                artifact = ModelArtifact(kind: .logistic, featureSetName: "bench", featureSetVersion: 1, featureNames: names, logistic: fitted)
            }
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            let predictions = testX.withUnsafeBufferPointer { all in
                (0..<testY.count).map { i in artifact.probability(UnsafeBufferPointer(rebasing: all[(i * p)..<((i + 1) * p)])) }
            }
            auc = Metrics(predictions: predictions, labels: testY).rocAUC
        }
        let median = times.sorted()[times.count / 2]
        print(
            String(
                format: "recur %@: train %d rows x %d, holdout %d; fit seconds %@; median %.3f; holdout AUC %.5f",
                model, trainY.count, p, testY.count, times.map { String(format: "%.3f", $0) }.joined(separator: " "), median, auc))
    }
}
