import Crypto
import Foundation
import Postgres

/// `recur stream --dir`: the watched folder. Each new file (any format `events import` reads) is loaded
/// exactly once: its name, size and SHA-256 go into `stream_files` in the same transaction as its rows,
/// its users' states and its rejects; after the commit it moves to the archive.
///
/// A file is read only once its size and modification time have stayed the same for `settleSeconds`,
/// and never while its name ends in `.tmp`, `.part`, `.partial` or starts with a dot.
public final class FolderStreamBuilder {
    public struct Options: Sendable {
        public var directory: String
        public var archive: String?
        public var settleSeconds = 1.0
        public var pollSeconds = 0.25
        public var importOptions = ImportOptions()
        public var maxUsersInMemory = 200_000
        /// Write states on a second connection, committed in two phases with the batch, when the server allows it.
        public var statesOnOwnConnection = true
        /// Rollups the store keeps from now on, beside those it keeps already.
        public var rollups = RollupCatalog.builtin()

        public init(directory: String) { self.directory = directory }
    }

    private let location: StoreLocation
    private let set: FeatureSet
    private let options: Options
    public let metrics: StreamMetrics
    private let log: (String) -> Void
    private var writer: StreamWriter?
    private var modeAnnounced = false
    private var store: Store?
    /// Files seen but not yet settled: size, modification time and since when they stayed so.
    private var watching: [String: (size: Int64, modified: Date, since: Date)] = [:]
    /// Files handled and left in place (no archive), by path, size and modification time.
    private var handled = Set<String>()
    private var backoff = 0.25

    public init(location: StoreLocation, set: FeatureSet, options: Options, metrics: StreamMetrics = StreamMetrics(), log: @escaping (String) -> Void) {
        self.location = location
        self.set = set
        self.options = options
        self.metrics = metrics
        self.log = log
    }

    public func run(shouldStop: @escaping () -> Bool) throws -> StreamMetrics.Totals {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: options.directory, isDirectory: &isFolder), isFolder.boolValue else {
            throw StreamError.folderMissing(options.directory)
        }
        if let archive = options.archive { try FileManager.default.createDirectory(atPath: archive, withIntermediateDirectories: true) }
        while !shouldStop() {
            for path in settledFiles() {
                if shouldStop() { break }
                load(path, shouldStop: shouldStop)
            }
            Thread.sleep(forTimeInterval: options.pollSeconds)
        }
        return metrics.totals
    }

    static func isIgnored(_ name: String) -> Bool {
        let lower = name.lowercased()
        return name.hasPrefix(".") || [".tmp", ".part", ".partial", ".crdownload", ".swp", ".lock"].contains { lower.hasSuffix($0) }
    }

    private func settledFiles() -> [String] {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: options.directory) else { return [] }
        let archivePath = options.archive.map { URL(fileURLWithPath: $0).standardizedFileURL.path }
        var ready = [String]()
        let now = Date()
        for name in names.sorted() where !Self.isIgnored(name) {
            let path = URL(fileURLWithPath: options.directory).appendingPathComponent(name).standardizedFileURL.path
            guard path != archivePath, let attributes = try? manager.attributesOfItem(atPath: path),
                attributes[.type] as? FileAttributeType == .typeRegular
            else { continue }
            let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
            let modified = attributes[.modificationDate] as? Date ?? .distantPast
            if handled.contains("\(path)|\(size)|\(modified.timeIntervalSince1970)") { continue }
            if let seen = watching[path], seen.size == size, seen.modified == modified {
                if now.timeIntervalSince(seen.since) >= options.settleSeconds { ready.append(path) }
            } else {
                watching[path] = (size, modified, now)
            }
        }
        return ready
    }

    private func load(_ path: String, shouldStop: () -> Bool) {
        guard let seen = watching[path] else { return }
        let file: StreamFile
        do {
            file = StreamFile(name: path, size: seen.size, sha256: try Self.sha256(path))
        } catch {
            log("\(path): cannot read it (\(error)); will try again")
            watching[path] = nil
            return
        }
        var batch = StreamBatch(source: path, fence: .file(file))
        var summary: ImportSummary
        metrics.readFirstMessage()
        do {
            summary = try EventImporter(options: options.importOptions).read(path: path) { events, rejected in
                batch.events += events
                batch.rejected += rejected
            }
        } catch {
            // The whole file is unreadable as events (binary, no header…): accounted for as one rejected record.
            summary = ImportSummary(source: path)
            summary.read = 1
            summary.rejected = 1
            var hash = StableHash()
            hash.add(file.sha256)
            batch.events = []
            batch.rejected = [EventLoader.RejectedRow(position: "file", raw: Self.head(path), reason: "\(error)", rawHash: hash.hex)]
        }
        batch.records = summary.read
        while !shouldStop() || writer != nil {
            do {
                let writer = try connectedWriter()
                switch try writer.commit(batch) {
                case .committed(let result):
                    metrics.consumed(summary.read)
                    metrics.record(result, records: summary.read, usersInMemory: writer.usersInMemory)
                    log("\(path): \(summary.read) rows, \(result.inserted) new events, \(result.duplicates) duplicates, \(result.rejected) rejected")
                    if result.repairsQueued > 0 { repair(writer) }
                case .alreadyLoaded:
                    log("\(path): already loaded (a file with the same content, SHA-256 \(file.sha256.prefix(12))…); not loaded again")
                case .fenced:
                    break
                }
                backoff = 0.25
                finish(path, size: seen.size, modified: seen.modified)
                return
            } catch {
                metrics.databaseLost()
                log("database: \(error); \(path) was not loaded; retrying in \(backoff) s")
                writer = nil
                store = nil
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 5)
                if shouldStop() { return }
            }
        }
    }

    private func finish(_ path: String, size: Int64, modified: Date) {
        watching[path] = nil
        guard let archive = options.archive else {
            handled.insert("\(path)|\(size)|\(modified.timeIntervalSince1970)")
            return
        }
        let name = URL(fileURLWithPath: path).lastPathComponent
        var target = URL(fileURLWithPath: archive).appendingPathComponent(name).path
        var attempt = 1
        while FileManager.default.fileExists(atPath: target) {
            attempt += 1
            target = URL(fileURLWithPath: archive).appendingPathComponent("\(name).\(attempt)").path
        }
        do { try FileManager.default.moveItem(atPath: path, toPath: target) } catch {
            log("\(path): loaded, but could not move it to \(archive) (\(error)); it stays, and is not loaded again")
            handled.insert("\(path)|\(size)|\(modified.timeIntervalSince1970)")
        }
    }

    private func repair(_ writer: StreamWriter) {
        do { writer.forget(try FeatureRepair(set: set).runOnce(connection: writer.connection, limit: 500)) } catch { log("repair: \(error)") }
    }

    private func connectedWriter() throws -> StreamWriter {
        if let writer, writer.isOpen { return writer }
        let (store, writer) = try StreamWriter.open(
            location, ownStatesConnection: options.statesOnOwnConnection, set: set, writerName: "\(ProcessInfo.processInfo.hostName):\(getpid())",
            maxUsersInMemory: options.maxUsersInMemory, rollups: options.rollups, log: log)
        if !modeAnnounced {
            log("writing " + writer.modeDescription)
            modeAnnounced = true
        }
        self.store = store
        self.writer = writer
        return writer
    }

    static func sha256(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CocoaError(.fileReadNoPermission) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func head(_ path: String) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        return ImportSession.printable(Array((try? handle.read(upToCount: 4096)) ?? Data()))
    }
}
