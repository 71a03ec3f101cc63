import Foundation
import Kafka
import Postgres
import Testing

@testable import RecurCore

/// `recur stream` as users run it: real builders, a real producer, librdkafka's mock cluster, real PostgreSQL.
@Suite(.serialized) struct StreamTests {
    static let fast = ["-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500"]

    func producer(_ brokers: String, topic: String, extra: [String], environment: [String: String]) throws -> RecurProcess {
        try RecurProcess(["events", "produce", "--brokers", brokers, "--topic", topic, "--quiet"] + extra, environment: environment, label: "produce")
    }

    @Test func killedTenTimesItLosesNothingAndCountsNothingTwice() throws {
        let store = try TestStore.fresh("crash")
        defer { TestStore.drop(store) }
        let features = try StreamCheck.strictLatenessFolder()
        let set = try FeatureCatalog.load(directory: features).resolve("strict")
        let cluster = try MockCluster(brokers: 1)
        try cluster.createTopic("crash", partitions: 4)
        let env = StreamCheck.environment(store)
        let produce = try producer(
            cluster.bootstrapServers, topic: "crash",
            extra: ["--users", "120", "--seed", "7", "--rate", "2500", "--late", "5", "--duplicates", "5", "--malformed", "1"],
            environment: env)
        let builderArguments =
            [
                "stream", "--brokers", cluster.bootstrapServers, "--topic", "crash", "--features-dir", features, "--set", "strict",
                "--batch-wait", "200ms", "--quiet"
            ] + Self.fast
        var random = SystemRandomNumberGenerator()
        for round in 0..<10 {
            // One group throughout: each builder resumes from the offsets the one killed before it stored
            // (its assignment waits out the dead member's session, six seconds here).
            let builder = try RecurProcess(builderArguments + ["--group", "crash"], environment: env, label: "crash-\(round)")
            _ = builder.waitFor("assigned", timeout: 60)
            usleep(UInt32.random(in: 200_000...2_500_000, using: &random))
            builder.signal(SIGKILL)
            builder.wait()
        }
        #expect(produce.wait(timeout: 180) == 0, "\(produce.log)")
        // Thirty events half a year older than what is stored: past every rollup's watermark.
        let lateFile = FileManager.default.temporaryDirectory.appendingPathComponent("late-\(UInt32.random(in: 0...UInt32.max)).csv").path
        let lateRows = (0..<30).map { "late-\($0),late-user-\($0 % 4),2025-06-01T10:\(String(format: "%02d", $0)):00Z,view,,1,p1,,,web" }
        try (["event_id,user_id,ts,event_type,amount,quantity,product_id,session_id,category,device"] + lateRows).joined(separator: "\n")
            .write(toFile: lateFile, atomically: true, encoding: .utf8)
        let produceLate = try RecurProcess(
            ["events", "produce", "--brokers", cluster.bootstrapServers, "--topic", "crash", "--quiet", lateFile], environment: env, label: "produce-late")
        #expect(produceLate.wait(timeout: 60) == 0, "\(produceLate.log)")
        let last = try RecurProcess(builderArguments + ["--group", "crash", "--exit-at-end"], environment: env, label: "crash")
        #expect(last.wait(timeout: 180) == 0, "\(last.log)")
        // The embedded cluster allows prepared transactions: these builders ran the two-phase path.
        #expect(last.log.contains("writing events and states on two connections"))
        let repair = try RecurProcess(["features", "repair", "--features-dir", features, "--set", "strict"], environment: env, label: "repair")
        #expect(repair.wait() == 0, "\(repair.log)")

        let produced = try #require(StreamCheck.produced(produce.log), "\(produce.log)")
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM events") == produced.messages - produced.duplicated - produced.malformed + 30)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM rejected_events") == produced.malformed)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM feature_repairs") == 0)
        #expect(last.log.contains(" late"), "the final builder reports late events")
        let check = try StreamCheck.statesMatchEvents(store, set: set)
        #expect(check.users > 50)
        #expect(check.mismatched.isEmpty, "users whose state differs from a fold of their events: \(check.mismatched.prefix(5))")
        // Rollups and sessions, kept batch by batch through ten kills, equal a recount; the events
        // later than the watermark landed in their windows and were counted as late.
        try StreamCheck.rollupsMatchEvents(store, expecting: ["rollup_device_5m", "sessions", "rollup_user_5m"])
        #expect(try StreamCheck.count(store, "SELECT sum(late)::bigint FROM rollup_funnel_1h WHERE window_start::date = '2025-06-01'") >= 30)
        #expect(try StreamCheck.count(store, "SELECT sum(late)::bigint FROM rollup_device_5m") >= 30)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM sessions WHERE events > 1") > 0)
    }

    @Test func survivesPostgresStoppingForTenSeconds() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("recur-fault-\(UInt32.random(in: 0...UInt32.max))").path
        let cluster = try EmbeddedCluster(home: home)
        _ = try cluster.start()
        defer { try? cluster.stop() }
        let store = try Store.open(StoreLocation(databaseURL: cluster.conninfo(), home: home))
        let set = try FeatureCatalog.builtin.resolve("default")
        let kafka = try MockCluster(brokers: 1)
        try kafka.createTopic("fault", partitions: 3)
        let env = ["DATABASE_URL": cluster.conninfo(), "RECUR_HOME": home]
        let produce = try producer(
            kafka.bootstrapServers, topic: "fault", extra: ["--users", "100", "--seed", "9", "--rate", "300", "--duplicates", "3"],
            environment: env)
        let builder = try RecurProcess(
            [
                "stream", "--brokers", kafka.bootstrapServers, "--topic", "fault", "--batch-wait", "200ms", "--quiet",
                "--exit-when-idle", "20s"
            ] + Self.fast, environment: env, label: "fault")
        #expect(builder.waitFor("assigned", timeout: 30))
        sleep(2)
        try cluster.stop()
        sleep(10)
        _ = try cluster.start()
        #expect(produce.wait(timeout: 180) == 0, "\(produce.log)")
        #expect(builder.wait(timeout: 180) == 0, "\(builder.log)")
        #expect(builder.log.contains("database:"), "the builder noticed the outage")
        let fresh = try Store.open(StoreLocation(databaseURL: cluster.conninfo(), home: home))
        let produced = try #require(StreamCheck.produced(produce.log))
        #expect(try StreamCheck.count(fresh, "SELECT count(*) FROM events") == produced.messages - produced.duplicated)
        let check = try StreamCheck.statesMatchEvents(fresh, set: set)
        #expect(check.users > 50 && check.mismatched.isEmpty, "\(check.mismatched.prefix(5))")
        try StreamCheck.rollupsMatchEvents(fresh)
        withExtendedLifetime(store) {}
    }

    @Test func kcatProducesIntoRecurKafkaMockAndTheStreamConsumesIt() throws {
        let kcat = ["/usr/bin/kcat", "/usr/local/bin/kcat"].first { FileManager.default.isExecutableFile(atPath: $0) }
        let kcatPath = try #require(kcat, "kcat is installed by scripts/setup.sh")
        let store = try TestStore.fresh("kcat")
        defer { TestStore.drop(store) }
        let mock = try RecurProcess(["kafka", "mock", "--partitions", "2", "--topic", "kc"], label: "mock")
        defer { mock.signal(SIGTERM); mock.wait(timeout: 10) }
        #expect(mock.waitFor("127.0.0.1", timeout: 20))
        let brokers = try #require(mock.log.split(separator: "\n").first { $0.hasPrefix("127.0.0.1") }.map(String.init))
        var lines = (0..<50).map { i in
            "u\(i % 7):{\"event_id\":\"kc\(i)\",\"customer_id\":\"u\(i % 7)\",\"timestamp\":\"2025-05-0\(1 + i % 9)T10:00:00Z\",\"event_type\":\"\(i % 5 == 0 ? "buy" : "click")\"}"
        }
        lines.append("u1:this is not json")
        let kcatProcess = Process()
        kcatProcess.executableURL = URL(fileURLWithPath: kcatPath)
        kcatProcess.arguments = ["-P", "-b", brokers, "-t", "kc", "-K:"]
        let input = Pipe()
        kcatProcess.standardInput = input
        try kcatProcess.run()
        input.fileHandleForWriting.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try input.fileHandleForWriting.close()
        kcatProcess.waitUntilExit()
        #expect(kcatProcess.terminationStatus == 0)
        // One transaction on one connection here; the other tests cover the states' own connection.
        let builder = try RecurProcess(
            ["stream", "--brokers", brokers, "--topic", "kc", "--exit-at-end", "--quiet", "--single-transaction"],
            environment: StreamCheck.environment(store), label: "kcat")
        #expect(builder.wait(timeout: 60) == 0, "\(builder.log)")
        #expect(builder.log.contains("writing events and states in one transaction"))
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM events") == 50)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM events WHERE event_type = 'purchase' AND amount IS NULL") == 10)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM rejected_events WHERE source = 'kafka:kc' AND position LIKE 'partition % offset %'") == 1)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM user_features") == 7)

        // Offsets belong to a group: another group reads the topic from its start (nothing is stored
        // twice), and a stored offset past a partition's end (the topic created again) starts over.
        let stale = "stale-group"
        try store.connection.execute(
            "INSERT INTO stream_offsets (group_id, topic, partition, next_offset) VALUES ($1, 'kc', 0, 1000), ($1, 'kc', 1, 1000)", [stale])
        for group in ["other-group", stale] {
            let again = try RecurProcess(
                ["stream", "--brokers", brokers, "--topic", "kc", "--group", group, "--exit-at-end", "--quiet"],
                environment: StreamCheck.environment(store), label: "kcat-\(group)")
            #expect(again.wait(timeout: 60) == 0, "\(again.log)")
            #expect(try StreamCheck.count(store, "SELECT count(*) FROM events") == 50)
            let read = try StreamCheck.count(store, "SELECT coalesce(sum(greatest(next_offset, 0)), 0)::int FROM stream_offsets WHERE group_id = '\(group)'")
            #expect(read == 51, "group \(group) stored offsets summing to \(read): \(again.log)")
            if group == stale { #expect(again.log.contains("past the partition's end"), "\(again.log)") }
        }
        #expect(try StreamCheck.count(store, "SELECT count(DISTINCT group_id)::int FROM stream_offsets") == 3)
    }

    @Test func watchedFolderLoadsEveryGoodRowOnceAndAccountsForTheRest() throws {
        let store = try TestStore.fresh("folder")
        defer { TestStore.drop(store) }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("recur-folder-\(UInt32.random(in: 0...UInt32.max))").path
        let inbox = root + "/in", archive = root + "/done"
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        let builder = try RecurProcess(
            ["stream", "--dir", inbox, "--archive", archive, "--settle", "700ms", "--quiet"],
            environment: StreamCheck.environment(store), label: "folder")
        #expect(builder.waitFor("watching", timeout: 30))
        var expected = 0
        func csv(seed: UInt64) -> [UInt8] {
            var options = EventGenerator.Options()
            options.users = 4
            options.seed = seed
            options.days = 60
            let rows = EventGenerator(options: options).rows()
            expected += rows.count
            var text = GeneratedEventWriter.columns.joined(separator: ",") + "\n"
            var buffer = [UInt8]()
            let writer = GeneratedEventWriter(format: .csv, seed: seed)
            for row in rows { writer.append(row, to: &buffer) }
            text += String(decoding: buffer, as: UTF8.self)
            return Array(text.utf8)
        }
        for index in 0..<17 {
            // Written under a .part name and renamed, as careful uploaders do.
            let part = inbox + "/batch\(index).csv.part"
            _ = FileManager.default.createFile(atPath: part, contents: Data(csv(seed: UInt64(100 + index))))
            try FileManager.default.moveItem(atPath: part, toPath: inbox + "/batch\(index).csv")
            usleep(100_000)
        }
        // Written slowly, in place: read only once its size settles.
        let slow = csv(seed: 500)
        _ = FileManager.default.createFile(atPath: inbox + "/slow.csv", contents: nil)
        let handle = try #require(FileHandle(forWritingAtPath: inbox + "/slow.csv"))
        let step = slow.count / 5 + 1
        for start in stride(from: 0, to: slow.count, by: step) {
            handle.write(Data(slow[start..<min(slow.count, start + step)]))
            usleep(300_000)
        }
        try handle.close()
        // The same content under a second name, and a garbage file.
        let original = FileManager.default.fileExists(atPath: inbox + "/batch3.csv") ? inbox + "/batch3.csv" : archive + "/batch3.csv"
        try FileManager.default.copyItem(atPath: original, toPath: inbox + "/batch3-copy.csv")
        var garbage = [UInt8](repeating: 0, count: 4096)
        for index in garbage.indices { garbage[index] = UInt8.random(in: 0...255) }
        _ = FileManager.default.createFile(atPath: inbox + "/garbage.bin", contents: Data(garbage))

        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: inbox)) ?? ["x"]).count > 0 { usleep(200_000) }
        builder.signal(SIGTERM)
        #expect(builder.wait(timeout: 30) == 0, "\(builder.log)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: inbox).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: archive).count == 20)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM events") == expected)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM stream_files") == 19)
        #expect(try StreamCheck.count(store, "SELECT count(*) FROM rejected_events WHERE source LIKE '%garbage.bin'") >= 1)
        #expect(builder.log.contains("already loaded"))
        let check = try StreamCheck.statesMatchEvents(store, set: try FeatureCatalog.builtin.resolve("default"))
        #expect(check.mismatched.isEmpty)
        try StreamCheck.rollupsMatchEvents(store)
    }
}
