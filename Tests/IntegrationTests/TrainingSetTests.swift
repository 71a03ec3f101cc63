import Foundation
import Postgres
import Testing

@testable import RecurCore

@Suite struct TrainingSetTests {
    let set = try! FeatureCatalog.builtin.resolve("default@1")

    /// Generated events over 200 days, stored.
    static func storeGenerated(users: Int, seed: UInt64, into store: Store) throws -> [Event] {
        var options = EventGenerator.Options()
        options.users = users
        options.seed = seed
        options.days = 200
        let events = EventGenerator(options: options).rows().map { r in
            Event(
                eventID: "g\(r.serial)", userID: EventGenerator.userID(r.user), timestamp: Timestamp(microseconds: r.timestamp),
                type: r.type, amount: r.type.requiresAmount ? Double(r.amountCents) / 100 : nil)
        }
        _ = try EventLoader(connection: store.connection, source: "test").load(events, rejected: [])
        return events
    }

    @Test func labelsComeFromPurchasesInTheHorizonAndGapsNameTheBackfill() throws {
        let store = try TestStore.fresh("trainingset")
        defer { TestStore.drop(store) }
        let events = try Self.storeGenerated(users: 150, seed: 5, into: store)
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

    /// Training reads its rows from a spill file: every row, split and fit must equal the in-memory set's.
    @Test func rowsOnDiskGiveTheSameRowsAndTheSameModels() throws {
        let store = try TestStore.fresh("trainingspill")
        defer { TestStore.drop(store) }
        _ = try Self.storeGenerated(users: 400, seed: 11, into: store)
        let cutoffs = [3, 4, 5, 6].map { Timestamp(year: 2025, month: $0, day: 1)! }
        _ = try Backfill(plan: BackfillPlan(set: set, asOfTimes: cutoffs)).run(store: store)
        let memory = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .active, store: store)
        let disk = try TrainingSet.load(set: set, cutoffs: cutoffs, horizon: .days(30), population: .active, store: store, rowsOnDisk: true)
        #expect(disk.spill != nil && disk.features.isEmpty && disk.rows == memory.rows && disk.rows > 500)
        func same(_ a: [Double], _ b: [Double]) -> Bool { a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern } }
        let diskRows = try disk.materialized()
        #expect(same(diskRows, memory.features))
        #expect(disk.users == memory.users && disk.labels == memory.labels && disk.cutoffs == memory.cutoffs)
        // A split keeps the spill: its batches read runs of the file, across the batch's ends.
        let (training, holdout) = disk.split(holdout: cutoffs[2].microseconds)
        let (memoryTraining, memoryHoldout) = memory.split(holdout: cutoffs[2].microseconds)
        #expect(training.spill != nil && holdout.spill != nil)
        var seen = [Double]()
        try training.forEachBatch(maxRows: 37) { first, values in
            #expect(first * set.featureNames.count == seen.count && values.count <= 37 * set.featureNames.count)
            seen += values
        }
        let holdoutRows = try holdout.materialized()
        #expect(same(seen, memoryTraining.features) && same(holdoutRows, memoryHoldout.features))
        let summaries = (try training.newestSummary().features, try memoryTraining.newestSummary().features)
        #expect(same(summaries.0, summaries.1))
        // The fit over blocks read from the file equals the one over blocks of the array.
        let parameters = LogisticRegression.Parameters()
        let (fromDisk, _) = try LogisticRegression.fit(rows: training, names: set.featureNames, labels: training.labels, parameters: parameters, blockRows: 97)
        let (fromMemory, _) = try LogisticRegression.fit(
            features: memoryTraining.features, rows: memoryTraining.rows, names: set.featureNames, labels: memoryTraining.labels,
            parameters: parameters, blockRows: 97)
        #expect(fromDisk == fromMemory)
        for kind in [ModelArtifact.Kind.logistic, .gbdt] {
            var request = ModelTrainer.Request(version: "v", kind: kind, set: set, cutoffs: cutoffs, horizon: .days(30))
            request.calibration = .auto
            request.gbdt.trees = 20
            let (a, am) = try ModelTrainer(request: request).train(disk, codeVersion: "test")
            let (b, bm) = try ModelTrainer(request: request).train(memory, codeVersion: "test")
            #expect(a == b, "\(kind)")
            #expect(am.holdout.rocAUC == bm.holdout.rocAUC && am.trainingRows == bm.trainingRows, "\(kind)")
        }
    }
}
