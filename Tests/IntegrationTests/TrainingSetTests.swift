import Foundation
import Postgres
import Testing

@testable import RecurCore

@Suite struct TrainingSetTests {
    let set = try! FeatureCatalog.builtin.resolve("default@1")

    @Test func labelsComeFromPurchasesInTheHorizonAndGapsNameTheBackfill() throws {
        let store = try TestStore.fresh("trainingset")
        defer { TestStore.drop(store) }
        var options = EventGenerator.Options()
        options.users = 150
        options.seed = 5
        options.days = 200
        let events = EventGenerator(options: options).rows().map { r in
            Event(
                eventID: "g\(r.serial)", userID: EventGenerator.userID(r.user), timestamp: Timestamp(microseconds: r.timestamp),
                type: r.type, amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil)
        }
        _ = try EventLoader(connection: store.connection, source: "test").load(events, rejected: [])
        let cutoffs = [Timestamp(year: 2025, month: 4, day: 1)!, Timestamp(year: 2025, month: 5, day: 1)!]
        _ = try Backfill(plan: BackfillPlan(set: set, asOfTimes: cutoffs)).run(store: store)

        let data = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .active, store: store)
        #expect(data.rows > 0 && data.features.count == data.rows * set.featureNames.count)
        for i in stride(from: 0, to: data.rows, by: max(1, data.rows / 25)) {
            let from = data.cutoffs[i], to = from + TimeSpan.days(30).microseconds
            let bought = events.contains {
                $0.userID == data.users[i] && $0.type == .purchase && $0.timestamp.microseconds >= from && $0.timestamp.microseconds < to
            }
            #expect(data.labels[i] == (bought ? 1 : 0), "row \(i)")
        }
        let purchasers = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .purchasers, store: store)
        #expect(purchasers.rows < data.rows)
        let (training, holdout) = data.split(holdout: cutoffs[1].microseconds)
        #expect(training.rows + holdout.rows == data.rows && holdout.cutoffs.allSatisfy { $0 == cutoffs[1].microseconds })

        let missing = Timestamp(year: 2025, month: 3, day: 15)!
        do {
            _ = try TrainingSet.load(set: set, cutoffs: [missing], horizon: .days(30), population: .active, store: store)
            Issue.record("missing snapshots were not noticed")
        } catch {
            #expect("\(error)".contains("recur features backfill --set default@1 --as-of 2025-03-15T00:00:00Z"))
        }
        #expect(throws: TrainingError.self) {
            try TrainingSet.load(set: set, cutoffs: [Timestamp(year: 2025, month: 7, day: 10)!], horizon: .days(30), population: .active, store: store)
        }
    }
}
