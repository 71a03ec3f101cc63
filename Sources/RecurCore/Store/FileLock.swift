import Foundation

/// An exclusive advisory lock on a file (flock), so concurrent `recur` processes take turns.
final class FileLock {
    private var descriptor: Int32

    /// Blocks until the lock is held.
    init(path: String) throws(ClusterError) {
        descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .lockFailed(path: path, reason: String(cString: strerror(errno))) }
        while flock(descriptor, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .lockFailed(path: path, reason: reason)
        }
    }

    func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
