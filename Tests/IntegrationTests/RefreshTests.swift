import Foundation
import Testing

@testable import RecurCore

/// `recur refresh` on the comparison suite's store: each test gets its own copy of the models folder.
extension ModelCompareTests {
    func modelsCopy(_ fixture: Fixture, production: String) throws -> String {
        let copy = FileManager.default.temporaryDirectory.appendingPathComponent("recur-refresh-models-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.copyItem(atPath: fixture.models, toPath: copy)
        try ModelRegistry(directory: copy).promote(production, alias: "production")
        return copy
    }

    func refresh(_ models: String, _ fixture: Fixture, rule: String) throws -> Outcome {
        try recur(["refresh", "--models-dir", models, "--promote-if", rule, "--export-dir", models + "/reports"], fixture)
    }

    @Test func refreshTwiceInARowTheSecondDoesNothing() throws {
        let fixture = try Self.fixture.get()
        let models = try modelsCopy(fixture, production: "v1")
        let first = try refresh(models, fixture, rule: "auc_gain>=-1")
        #expect(first.status == 0, "\(first.stderr)")
        let aliases = try ModelRegistry(directory: models).aliases()
        let candidate = try #require(aliases["production"])
        #expect(candidate.hasPrefix("refresh-") && first.stdout.contains("promoted \(candidate) to production (was v1)"), "\(first.stdout)")
        // The candidate learnt nothing at or after the cutoff it was compared on.
        let (_, metadata) = try ModelRegistry(directory: models).load(candidate)
        let model = ComparedModel(name: candidate, artifact: nil, metadata: metadata)
        #expect(try #require(model.learntLabelsUntil) <= (try #require(DateText.parse(metadata.holdoutCutoff))))
        let versions = try ModelRegistry(directory: models).list().map(\.version)

        let second = try refresh(models, fixture, rule: "auc_gain>=-1")
        #expect(second.status == 0 && second.stdout.hasPrefix("nothing to do"), "\(second.stdout) \(second.stderr)")
        #expect(try ModelRegistry(directory: models).aliases() == aliases)
        #expect(try ModelRegistry(directory: models).list().map(\.version) == versions)
    }

    @Test func aCandidateThatFailsTheRuleIsNotPromoted() throws {
        let fixture = try Self.fixture.get()
        let models = try modelsCopy(fixture, production: "v1")
        let run = try refresh(models, fixture, rule: "auc_gain>=0.5,p<0.05")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("kept v1 as production") && run.stdout.contains("fails >=0.5"), "\(run.stdout)")
        #expect(try ModelRegistry(directory: models).aliases()["production"] == "v1")
        let again = try refresh(models, fixture, rule: "auc_gain>=0.5,p<0.05")
        #expect(again.stdout.hasPrefix("nothing to do: decided") && again.stdout.contains("did not promote"), "\(again.stdout)")
        let bad = try refresh(models, fixture, rule: "auc_gian>=0.1")
        #expect(bad.status != 0 && bad.stderr.contains("unknown quantity auc_gian"), "\(bad.stderr)")
    }

    @Test func killedPartWayTheNextRunFinishesTheJob() throws {
        let fixture = try Self.fixture.get()
        let models = try modelsCopy(fixture, production: "v2")
        var environment = fixture.environment
        environment["RECUR_MODELS_DIR"] = models
        // v2's feature set (default@2) has no snapshots at the refresh cutoffs yet: kill it in the backfill.
        let doomed = try RecurProcess(
            ["refresh", "--promote-if", "auc_gain>=-1", "--export-dir", models + "/reports"], environment: environment, label: "refresh-kill")
        // Polled often (the backfill is short) until a deadline sized for a busy machine, not a count.
        let deadline = Date().addingTimeInterval(120)
        while !doomed.log.contains("refresh: backfilling") && doomed.process.isRunning && Date() < deadline { usleep(10_000) }
        doomed.signal(SIGKILL)
        doomed.wait(timeout: 30)
        #expect(doomed.log.contains("refresh: backfilling"), "\(doomed.log)")
        #expect(!doomed.log.contains("refresh: training"), "killed too late to test resuming: \(doomed.log)")
        #expect(try ModelRegistry(directory: models).aliases()["production"] == "v2")

        let resumed = try refresh(models, fixture, rule: "auc_gain>=-1")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stderr.contains("refresh: training"), "\(resumed.stderr)")
        #expect(try ModelRegistry(directory: models).aliases()["production"]?.hasPrefix("refresh-") == true)
        #expect(try refresh(models, fixture, rule: "auc_gain>=-1").stdout.hasPrefix("nothing to do"))
    }
}
