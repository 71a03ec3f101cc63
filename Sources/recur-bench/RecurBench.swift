import ArgumentParser

/// Micro-benchmarks of Recur's hot paths, run by the scripts in bench/ beside their peers.
@main
struct RecurBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur-bench",
        abstract: "Times Recur's hot paths in-process (use a release build).",
        subcommands: [FoldBench.self, TrainBench.self, ServeBench.self, FreshnessBench.self, BTYDBench.self]
    )
}
