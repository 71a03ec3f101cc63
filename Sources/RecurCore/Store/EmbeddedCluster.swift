import Foundation

/// Recur's private PostgreSQL cluster: initialised and started on first use from the system's binaries,
/// listening on a Unix socket in its own folder only.
public final class EmbeddedCluster: Sendable {
    /// The Recur data folder (`.recur/` or `$RECUR_HOME`).
    public let home: String
    /// Where the cluster's files live; under `home` unless PostgreSQL's account cannot reach it.
    public let clusterDirectory: String
    public let dataDirectory: String
    public let socketDirectory: String
    public let logFile: String
    public let port = 5432
    /// The database Recur uses inside the cluster.
    public let database = "recur"
    let binDirectory: String
    /// The account the server runs under when we are root (PostgreSQL refuses to run as root).
    let account: String?

    /// What `recur db status` reports.
    public enum Status: Equatable, Sendable {
        case uninitialised
        case stopped
        case running(pid: Int32)
    }

    public init(home: String) throws(ClusterError) {
        self.home = home
        binDirectory = try EmbeddedCluster.findBinaries()
        if getuid() == 0 {
            guard getpwnam("postgres") != nil else { throw .accountMissing("postgres") }
            account = "postgres"
        } else {
            account = nil
        }
        var clusterDirectory = home + "/pg"
        if let account, !EmbeddedCluster.isTraversable(home, by: account) {
            // The account cannot reach the working directory (e.g. under /root): keep the cluster in a
            // folder it can reach, named after the home so each Recur home still has its own cluster.
            clusterDirectory = "/var/tmp/recur-pg-\(stableHash(home))"
        }
        self.clusterDirectory = clusterDirectory
        dataDirectory = clusterDirectory + "/data"
        logFile = clusterDirectory + "/postgres.log"
        // Unix socket paths are limited to 107 bytes; deep working directories need a shorter folder.
        let socketPath = clusterDirectory + "/run/.s.PGSQL.5432"
        socketDirectory = socketPath.utf8.count < 100 ? clusterDirectory + "/run" : "/tmp/recur-\(stableHash(home))"
    }

    /// libpq connection string for `database` (default: Recur's own).
    public func conninfo(database: String? = nil) -> String {
        "host=\(socketDirectory) port=\(port) user=postgres dbname=\(database ?? self.database)"
    }

    public var isInitialised: Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION")
    }

    public func status() -> Status {
        guard isInitialised else { return .uninitialised }
        if let pid = runningPID() { return .running(pid: pid) }
        return .stopped
    }

    /// Initialises (first time) and starts the cluster; does nothing when it already runs.
    /// Safe when several processes call it at once: they take turns on a lock file.
    /// Returns true when this call started the server.
    @discardableResult
    public func start() throws(ClusterError) -> Bool {
        try makeFolder(home, ownedByAccount: false)
        let lock = try FileLock(path: home + "/cluster.lock")
        defer { lock.release() }

        if !isInitialised { try initialise() }
        if runningPID() != nil {
            try ensureDatabase()
            return false
        }
        removeStaleLockFiles()
        try makeFolder(socketDirectory, ownedByAccount: true)
        let outcome = try run(
            binDirectory + "/pg_ctl",
            [
                "start", "-w", "-t", "120", "-D", dataDirectory, "-l", logFile,
                // Prepared transactions let `recur stream` write states and events on two connections at once.
                "-o", "-k \(socketDirectory) -p \(port) -c max_prepared_transactions=64"
            ])
        guard outcome.status == 0 else {
            throw .commandFailed(command: "pg_ctl start", status: outcome.status, output: outcome.output, log: logTail())
        }
        try ensureDatabase()
        return true
    }

    /// Stops the server (fast shutdown: running statements are rolled back, nothing committed is lost).
    public func stop() throws(ClusterError) {
        let lock = try FileLock(path: home + "/cluster.lock")
        defer { lock.release() }
        guard runningPID() != nil else { return }
        let outcome = try run(binDirectory + "/pg_ctl", ["stop", "-w", "-t", "120", "-m", "fast", "-D", dataDirectory])
        guard outcome.status == 0 else {
            throw .commandFailed(command: "pg_ctl stop", status: outcome.status, output: outcome.output, log: logTail())
        }
    }

    private func initialise() throws(ClusterError) {
        try makeFolder(clusterDirectory, ownedByAccount: true)
        // A crash during an earlier initdb leaves a partial folder that initdb refuses to reuse.
        if FileManager.default.fileExists(atPath: dataDirectory) {
            do { try FileManager.default.removeItem(atPath: dataDirectory) } catch {
                throw .filesystem(path: dataDirectory, reason: "cannot remove a partial cluster: \(error)")
            }
        }
        let outcome = try run(
            binDirectory + "/initdb",
            [
                "-D", dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"
            ])
        guard outcome.status == 0 else {
            throw .commandFailed(command: "initdb", status: outcome.status, output: outcome.output, log: "")
        }
        let settings = """

            # Written by recur: a private server reachable only through its Unix socket.
            listen_addresses = ''
            unix_socket_directories = '\(socketDirectory)'
            port = \(port)
            shared_buffers = 256MB
            max_wal_size = 4GB
            checkpoint_timeout = 15min
            wal_level = minimal
            max_wal_senders = 0
            logging_collector = off

            """
        do {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(settings.utf8))
        } catch {
            throw .filesystem(path: dataDirectory + "/postgresql.conf", reason: "cannot write settings: \(error)")
        }
    }

    private func ensureDatabase() throws(ClusterError) {
        let psql = binDirectory + "/psql"
        let check = try run(
            psql,
            [
                "-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-tAc",
                "SELECT 1 FROM pg_database WHERE datname = '\(database)'"
            ])
        if check.status == 0 && check.output.contains("1") { return }
        let create = try run(
            psql,
            [
                "-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-c",
                "CREATE DATABASE \(database)"
            ])
        guard create.status == 0 || create.output.contains("already exists") else {
            throw .commandFailed(command: "CREATE DATABASE \(database)", status: create.status, output: create.output, log: "")
        }
    }

    /// The postmaster's pid when it is alive; a pid file left by a crash does not count.
    func runningPID() -> Int32? {
        guard let text = try? String(contentsOfFile: dataDirectory + "/postmaster.pid", encoding: .utf8),
            let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces)),
            pid > 0
        else { return nil }
        return EmbeddedCluster.isPostgresProcess(pid) ? pid : nil
    }

    /// After a crash the pid file (and the socket lock) may name a dead process, or one reused by something else.
    private func removeStaleLockFiles() {
        let files = [dataDirectory + "/postmaster.pid", socketDirectory + "/.s.PGSQL.\(port).lock"]
        for file in files where FileManager.default.fileExists(atPath: file) {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                let first = text.split(separator: "\n").first, let pid = Int32(first.trimmingCharacters(in: .whitespaces))
            else {
                try? FileManager.default.removeItem(atPath: file)
                continue
            }
            if !EmbeddedCluster.isPostgresProcess(pid) {
                try? FileManager.default.removeItem(atPath: file)
                try? FileManager.default.removeItem(atPath: socketDirectory + "/.s.PGSQL.\(port)")
            }
        }
    }

    static func isPostgresProcess(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return true }
        return comm.hasPrefix("postgres") || comm.hasPrefix("postmaster")
    }

    private func run(_ executable: String, _ arguments: [String]) throws(ClusterError) -> ExternalCommand.Outcome {
        do {
            return try ExternalCommand(executable: executable, arguments: arguments, account: account).run()
        } catch {
            throw .commandFailed(command: executable, status: -1, output: "\(error)", log: "")
        }
    }

    private func logTail() -> String {
        guard let text = try? String(contentsOfFile: logFile, encoding: .utf8) else { return "" }
        return text.split(separator: "\n").suffix(5).joined(separator: "\n")
    }

    private func makeFolder(_ path: String, ownedByAccount: Bool) throws(ClusterError) {
        do {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true,
                attributes: [.posixPermissions: ownedByAccount ? 0o700 : 0o755])
        } catch {
            throw .filesystem(path: path, reason: "cannot create folder: \(error.localizedDescription)")
        }
        guard ownedByAccount, let account, let entry = getpwnam(account) else { return }
        var info = stat()
        if stat(path, &info) == 0, info.st_uid != entry.pointee.pw_uid {
            guard chown(path, entry.pointee.pw_uid, entry.pointee.pw_gid) == 0 else {
                throw .filesystem(path: path, reason: "cannot hand the folder to \(account): \(String(cString: strerror(errno)))")
            }
        }
    }

    static func findBinaries() throws(ClusterError) -> String {
        var candidates: [String] = []
        if let configured = ProcessInfo.processInfo.environment["RECUR_PG_BIN"] { candidates.append(configured) }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append("/usr/lib/postgresql/\(version)/bin")
        }
        candidates.append(contentsOf: ["/usr/local/pgsql/bin", "/usr/local/bin", "/usr/bin"])
        for folder in candidates
        where FileManager.default.isExecutableFile(atPath: folder + "/initdb")
            && FileManager.default.isExecutableFile(atPath: folder + "/pg_ctl")
        {
            return folder
        }
        throw .binariesNotFound(searched: candidates)
    }

    /// Whether `account` can walk down to `path` (every existing ancestor must allow it to search).
    static func isTraversable(_ path: String, by account: String) -> Bool {
        guard let entry = getpwnam(account) else { return false }
        let uid = entry.pointee.pw_uid, gid = entry.pointee.pw_gid
        var current = ""
        for component in path.split(separator: "/") {
            current += "/" + component
            var info = stat()
            guard stat(current, &info) == 0 else { break }
            let mode = info.st_mode
            let allowed = info.st_uid == uid ? mode & 0o100 != 0 : info.st_gid == gid ? mode & 0o010 != 0 : mode & 0o001 != 0
            if !allowed { return false }
        }
        return true
    }
}
