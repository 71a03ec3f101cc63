import ArgumentParser
import Foundation
import RecurCore

/// Times the feature aggregator alone: events folded per second on one core, and state size per user.
struct FoldBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fold", abstract: "Aggregator throughput on generated events (one core).")

    @Option(help: "Users to generate.") var users = 40_000
    @Option(help: "Approximate events to generate.") var events = 2_000_000
    @Option(help: "Timed repetitions; the median is reported.") var runs = 5

    func run() throws {
        var options = EventGenerator.Options()
        options.users = users
        options.targetEvents = events
        options.seed = 3
        var rows = EventGenerator(options: options).rows()
        rows.sort { ($0.user, $0.timestamp) < ($1.user, $1.timestamp) }
        let list = rows.map { r in
            Event(
                eventID: "", userID: "", timestamp: Timestamp(microseconds: r.timestamp), type: r.type,
                amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil)
        }
        let userOf = rows.map(\.user)
        let set = try FeatureCatalog.builtin.resolve(nil)
        var rates = [Double]()
        var bytes = 0, states = 0
        for _ in 0..<runs {
            let start = DispatchTime.now().uptimeNanoseconds
            var state = UserFeatureState(set: set)
            var current = userOf.first ?? 0
            var sizes = [Int]()
            for index in list.indices {
                if userOf[index] != current {
                    sizes.append(state.records.count)
                    state = UserFeatureState(set: set)
                    current = userOf[index]
                }
                state.apply(list[index])
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            rates.append(Double(list.count) / seconds)
            _ = sizes
        }
        let median = rates.sorted()[rates.count / 2]
        // State size, measured outside the timed loop.
        var current = userOf.first ?? 0
        var state0 = UserFeatureState(set: set)
        for index in list.indices {
            if userOf[index] != current {
                bytes += state0.encodedSize; states += 1
                state0 = UserFeatureState(set: set)
                current = userOf[index]
            }
            state0.apply(list[index])
        }
        bytes += state0.encodedSize; states += 1
        // values(asOf:) is what serving and snapshots pay per user.
        var state = UserFeatureState(set: set)
        for e in list.prefix(60) { state.apply(e) }
        let asOf = (state.lastEventAt ?? Timestamp(microseconds: 0)) + .days(1)
        let start = DispatchTime.now().uptimeNanoseconds
        var sink = 0.0
        for _ in 0..<100_000 { sink += state.values(asOf: asOf)[0] }
        let perCall = Double(DispatchTime.now().uptimeNanoseconds - start) / 100_000 / 1000
        print(
            String(
                format: "fold: %d events, %d users, median of %d runs: %.0f events/s (one core); encoded state %.0f bytes/user; values(asOf:) %.2f µs (%@)",
                list.count, states, runs, median, Double(bytes) / Double(states), perCall, sink.isNaN ? "nan" : "ok"))
    }
}
