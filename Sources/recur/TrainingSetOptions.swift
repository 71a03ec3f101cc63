import ArgumentParser
import RecurCore

/// Which rows a training set holds: shared by `recur train` and `recur export dataset`.
struct TrainingSetOptions: ParsableArguments {
    @OptionGroup var features: FeatureSetOptions
    @Option(help: ArgumentHelp("Cutoff dates, comma-separated.", valueName: "D,D,...")) var cutoffs: String?
    @Option(help: "First cutoff of a series.") var from: String?
    @Option(help: "Last cutoff of a series (included).") var to: String?
    @Option(help: "Spacing of the series, a duration such as 7d.") var every = DurationArgument(.days(7))
    @Option(help: "Label window after each cutoff: purchased in [cutoff, cutoff + horizon), a duration such as 30d.") var horizon = DurationArgument(.days(30))
    @Option(name: .customLong("holdout-cutoff"), help: "The cutoff held out for evaluation (default: the last).") var holdoutCutoff: String?
    @Option(help: "active (any event before the cutoff) or purchasers (a purchase before it).") var population = "active"

    // No validate(): `recur train` has a --version option, and swift-argument-parser answers a
    // validation error in a command line holding `--version` by printing its own version, exit 0.
    func cutoffTimes() throws -> [Timestamp] {
        var times = try (cutoffs?.split(separator: ",").map { try parseTime(String($0).trimmingCharacters(in: .whitespaces), option: "--cutoffs") }) ?? []
        if from != nil || to != nil {
            guard let from, let to else { throw CLIError.usage("--from and --to go together") }
            guard every.isPositive else { throw CLIError.usage("--every must be longer than 0") }
            let step = every.span
            let first = try parseTime(from, option: "--from"), last = try parseTime(to, option: "--to")
            guard first <= last else { throw CLIError.usage("--from \(from) is after --to \(to): the series runs from the earlier date to the later") }
            times += BackfillPlan.times(from: first, to: last, every: step)
        }
        guard !times.isEmpty else { throw CLIError.usage("give --cutoffs D,D,... or --from D --to D --every 7d") }
        if let holdoutCutoff { times.append(try parseTime(holdoutCutoff, option: "--holdout-cutoff")) }
        return Array(Set(times)).sorted()
    }

    func horizonSpan() throws -> TimeSpan {
        guard horizon.isPositive else { throw CLIError.usage("--horizon must be longer than 0") }
        return horizon.span
    }

    func populationRule() throws -> TrainingSet.Population {
        guard let rule = TrainingSet.Population(rawValue: population) else { throw CLIError.usage("--population must be active or purchasers") }
        return rule
    }

    /// The set's rows at the cutoffs; `rowsOnDisk` spills their features to a file (training's way).
    func load(store: Store, rowsOnDisk: Bool = false) throws -> (FeatureSet, [Timestamp], TrainingSet) {
        let set = try features.resolve()
        let times = try cutoffTimes()
        let bar = ProgressBar.forStandardError()
        defer { bar?.finish() }
        let data = try TrainingSet.load(
            set: set, cutoffs: times, horizon: try horizonSpan(), population: try populationRule(), store: store, rowsOnDisk: rowsOnDisk
        ) { read, of in
            bar?.update(label: "reading rows", fraction: Double(read) / Double(max(1, of)), detail: "\(read) of \(of) snapshots")
        }
        return (set, times, data)
    }
}
