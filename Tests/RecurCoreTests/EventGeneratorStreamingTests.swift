import Foundation
import Testing

@testable import RecurCore

/// The generator's bounded-memory path gives exactly what the in-memory one does.
struct EventGeneratorStreamingTests {
    @Test func spilledChunksMergeIntoTheSameRows() throws {
        var options = EventGenerator.Options()
        options.users = 300
        options.seed = 4
        options.latePercent = 3
        options.duplicatePercent = 2
        let generator = EventGenerator(options: options)
        let whole = generator.rows()
        var streamed = [EventGenerator.Row]()
        // Chunks of about 2,000 rows: several spilled runs, merged.
        let count = try generator.streamRows(chunkRows: 2_000) { streamed += $0 }
        #expect(count == whole.count && streamed.count == whole.count)
        #expect(zip(whole, streamed).allSatisfy { $0.serial == $1.serial && $0.emitAt == $1.emitAt && $0.timestamp == $1.timestamp && $0.user == $1.user })
        let spills = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter {
            $0.hasPrefix("recur-generate-\(ProcessInfo.processInfo.processIdentifier)-")
        }
        #expect(spills.isEmpty)
    }

    @Test func aTargetBelowTheLeastBrowsingThinsPurchases() {
        var options = EventGenerator.Options()
        options.users = 4_000
        options.targetEvents = 4_000 * 3
        let rows = EventGenerator(options: options).rows()
        // About three events per user, as asked; without thinning purchases it stays near fifteen.
        #expect(rows.count > 4_000 * 2 && rows.count < 4_000 * 5, "got \(rows.count)")
        #expect(rows.contains { $0.type == .purchase })
    }
}
