import ArgumentParser
import Foundation
import RecurCore

/// `recur models …`: list, inspect and promote model versions.
struct ModelsCommands: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "List, show, compare and promote trained model versions.",
        subcommands: [ListModels.self, ShowModel.self, PromoteModel.self, CompareModels.self]
    )
}

struct ModelsFolder: ParsableArguments {
    @Option(name: .customLong("models-dir"), help: "Models folder (default: $RECUR_MODELS_DIR or ./models).") var directory: String?
    var registry: ModelRegistry { ModelRegistry(directory: directory) }
}

/// `recur models list`.
struct ListModels: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List model versions with their holdout metrics and aliases.")
    @OptionGroup var folder: ModelsFolder

    func run() throws {
        let registry = folder.registry
        let aliases = try registry.aliases()
        let models = try registry.list()
        if models.isEmpty { print("no models in \(registry.directory)"); return }
        print("version      kind      feature set  horizon  holdout AUC  PR AUC  rows      created               aliases")
        for m in models {
            let names = aliases.filter { $0.value == m.version }.keys.sorted().joined(separator: ",")
            print(
                [
                    m.version.padding(toLength: 12, withPad: " ", startingAt: 0), m.kind.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0),
                    m.featureSet.padding(toLength: 12, withPad: " ", startingAt: 0), m.horizon.padding(toLength: 8, withPad: " ", startingAt: 0),
                    String(format: "%-12.4f", m.holdout.rocAUC), String(format: "%-7.4f", m.holdout.prAUC),
                    String(m.trainingRows).padding(toLength: 9, withPad: " ", startingAt: 0), m.createdAt.padding(toLength: 21, withPad: " ", startingAt: 0),
                    names
                ].joined(separator: " "))
        }
    }
}

/// `recur models show V`.
struct ShowModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "Verify and describe one model (or alias).")
    @OptionGroup var folder: ModelsFolder
    @Argument(help: "Version or alias.") var version: String
    @Option(help: "text or json.") var format = ModelShowFormat.text

    func run() throws {
        let (artifact, metadata) = try folder.registry.load(version)
        if format == .json {
            print(Self.json(artifact, metadata))
            return
        }
        print(ModelReport.summary(metadata, path: folder.registry.directory + "/" + metadata.version))
        print("checksum     verified (SHA-256)")
        if let m = artifact.bgnbd?.model {
            print(String(format: "\nBG/NBD (days): r %.4f  alpha %.4f  a %.4f  b %.4f  log-likelihood %.2f", m.r, m.alpha, m.a, m.b, m.logLikelihood))
            if let fit = m.fit { print(Self.describe(fit)) }
            return
        }
        if let m = artifact.bgnbd?.pareto {
            print(String(format: "\nPareto/NBD (days): r %.4f  alpha %.4f  s %.4f  beta %.4f  log-likelihood %.2f", m.r, m.alpha, m.s, m.beta, m.logLikelihood))
            if let fit = m.fit { print(Self.describe(fit)) }
            return
        }
        if let spend = artifact.spend {
            let m = spend.model
            print(
                String(
                    format: "\nGamma-Gamma (summary as of %@, %d repeat purchasers): p %.4f  q %.4f  v %.4f  log-likelihood %.2f", spend.summaryAsOf,
                    m.fittedCustomers, m.p, m.q, m.v, m.logLikelihood))
            if let fit = m.fit { print(Self.describe(fit)) }
            return
        }
        let weights: [Double] = artifact.kind == .logistic ? (artifact.logistic?.coefficients ?? []) : (artifact.gbdt?.gainImportance ?? [])
        print(artifact.kind == .logistic ? "\ncoefficients (standardised), largest first:" : "\ngain importance, largest first:")
        for (name, w) in zip(artifact.inputNames, weights).sorted(by: { abs($0.1) > abs($1.1) }).prefix(15) {
            print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%12.4f", w))
        }
    }
}

/// How `models show` prints.
enum ModelShowFormat: String, CaseIterable, ExpressibleByArgument { case text, json }

extension ShowModel {
    /// The version, kind, the summary's date for buy-till-you-die and spend models, the fitted
    /// parameters, how the fit ended, and the holdout metrics.
    static func json(_ artifact: ModelArtifact, _ metadata: ModelMetadata) -> String {
        var json = JSONWriter(capacity: 2_048)
        json.beginObject()
        json.field("version", metadata.version)
        json.field("kind", metadata.kind.rawValue)
        json.field("feature_set", metadata.featureSet)
        json.field("horizon", metadata.horizon)
        json.key("cutoffs")
        json.beginArray()
        for cutoff in metadata.cutoffs { json.string(cutoff) }
        json.endArray()
        json.field("created_at", metadata.createdAt)
        var fit: FitReport?
        json.key("parameters")
        json.beginObject()
        if let m = artifact.bgnbd?.model {
            json.field("r", m.r); json.field("alpha", m.alpha); json.field("a", m.a); json.field("b", m.b)
            json.field("log_likelihood", m.logLikelihood)
            fit = m.fit
        } else if let m = artifact.bgnbd?.pareto {
            json.field("r", m.r); json.field("alpha", m.alpha); json.field("s", m.s); json.field("beta", m.beta)
            json.field("log_likelihood", m.logLikelihood)
            fit = m.fit
        } else if let spend = artifact.spend {
            let m = spend.model
            json.field("p", m.p); json.field("q", m.q); json.field("v", m.v)
            json.field("log_likelihood", m.logLikelihood)
            fit = m.fit
        } else {
            for (name, value) in metadata.parameters.sorted(by: { $0.key < $1.key }) { json.field(name, value) }
        }
        json.endObject()
        if let spend = artifact.spend {
            json.field("summary_as_of", spend.summaryAsOf)
            json.field("fitted_customers", spend.model.fittedCustomers)
        } else if let btyd = artifact.bgnbd {
            json.field("summary_as_of", metadata.cutoffs.last ?? "")
            json.field("fitted_customers", btyd.fittedCustomers)
        }
        if let fit {
            json.key("fit")
            json.beginObject()
            json.field("iterations", fit.iterations)
            json.field("gradient_norm", fit.gradientNorm)
            json.field("converged", fit.converged)
            json.endObject()
        }
        json.key("holdout")
        json.beginObject()
        json.field("rows", metadata.holdout.rows)
        json.field("roc_auc", metadata.holdout.rocAUC)
        json.field("log_loss", metadata.holdout.logLoss)
        json.field("ece", metadata.holdout.calibrationError)
        json.endObject()
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    static func describe(_ fit: FitReport) -> String {
        String(
            format: "fit: %d iterations, gradient norm %.2e per customer: %@", fit.iterations, fit.gradientNorm,
            fit.converged ? "converged" : "DID NOT CONVERGE (a bad fit: check the data)")
    }
}

/// `recur models promote V --alias production`.
struct PromoteModel: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Point an alias (default production) at a verified version.")
    @OptionGroup var folder: ModelsFolder
    @Argument(help: "Version to promote.") var version: String
    @Option(help: "Alias name.") var alias = "production"

    func run() throws {
        try folder.registry.promote(version, alias: alias)
        print("\(alias) → \(version)")
    }
}
