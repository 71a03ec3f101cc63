import Foundation

/// A program Recur runs and waits for (initdb, pg_ctl), optionally as another account.
struct ExternalCommand {
    var executable: String
    var arguments: [String]
    /// When set and we are root, runs through `runuser -u ACCOUNT --` because PostgreSQL refuses root.
    var account: String?

    struct Outcome {
        var status: Int32
        var output: String
    }

    struct SpawnError: Error, CustomStringConvertible {
        var executable: String
        var code: Int32
        var description: String { "cannot run \(executable): \(String(cString: strerror(code)))" }
    }

    /// The postmaster outlives us: it must not inherit any descriptor beyond stdio (a caller's pipe,
    /// say), or whoever reads that pipe waits for the server to exit. dup2 clears the flag on 0–2.
    static func closeOtherDescriptorsOnExec() {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for entry in entries {
            guard let fd = Int32(entry), fd > 2 else { continue }
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// Runs the command to completion, capturing stdout and stderr together.
    ///
    /// Spawned with posix_spawn and reaped with waitpid rather than Foundation's Process:
    /// `pg_ctl start` leaves the postmaster running with inherited descriptors, which
    /// makes both a pipe and Process's own exit monitoring wait forever. Output goes to
    /// an unlinked temporary file for the same reason.
    func run() throws -> Outcome {
        var argv: [String]
        if let account, getuid() == 0 {
            argv = ["/usr/sbin/runuser", "-u", account, "--", executable] + arguments
        } else {
            argv = [executable] + arguments
        }
        var template = Array("/tmp/recur-command-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw SpawnError(executable: executable, code: errno) }
        defer { close(descriptor) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, descriptor, 2)
        Self.closeOtherDescriptorsOnExec()

        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw SpawnError(executable: argv[0], code: spawned) }

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let exitStatus: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)

        var output = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 65536)
        _ = lseek(descriptor, 0, SEEK_SET)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            output.append(contentsOf: chunk[0..<count])
        }
        return Outcome(status: exitStatus, output: String(decoding: output, as: UTF8.self))
    }
}
