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

    func run() throws {
        let (artifact, metadata) = try folder.registry.load(version)
        print(ModelReport.summary(metadata, path: folder.registry.directory + "/" + metadata.version))
        print("checksum     verified (SHA-256)")
        if let m = artifact.bgnbd?.model {
            print(String(format: "\nBG/NBD (days): r %.4f  alpha %.4f  a %.4f  b %.4f  log-likelihood %.2f", m.r, m.alpha, m.a, m.b, m.logLikelihood))
            return
        }
        let weights: [Double] = artifact.kind == .logistic ? (artifact.logistic?.coefficients ?? []) : (artifact.gbdt?.gainImportance ?? [])
        print(artifact.kind == .logistic ? "\ncoefficients (standardised), largest first:" : "\ngain importance, largest first:")
        for (name, w) in zip(artifact.inputNames, weights).sorted(by: { abs($0.1) > abs($1.1) }).prefix(15) {
            print("  " + name.padding(toLength: 32, withPad: " ", startingAt: 0) + String(format: "%12.4f", w))
        }
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
