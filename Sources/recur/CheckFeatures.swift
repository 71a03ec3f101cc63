import ArgumentParser
import RecurCore

/// `recur features check`: every user's online state against a fold of their stored events.
struct CheckFeatures: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Compare every user's online state with a fold of their stored events (what a backfill would write).",
        discussion: "Reads every event; exits 1 when a state differs. `recur features repair` or a backfill rewrites them.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var features: FeatureSetOptions

    func run() throws {
        let set = try features.resolve()
        let opened = try store.open()
        let (users, mismatched) = try OnlineStateCheck.run(set: set, on: opened.connection)
        print("\(set.reference): \(users) users with events, \(mismatched.count) states differ from a fold of their events")
        if !mismatched.isEmpty {
            print("e.g. \(mismatched.prefix(5).joined(separator: ", "))")
            throw ExitCode(1)
        }
    }
}
