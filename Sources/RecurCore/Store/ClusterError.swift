/// Why the embedded PostgreSQL cluster could not be prepared, started or stopped.
public enum ClusterError: Error, CustomStringConvertible {
    case binariesNotFound(searched: [String])
    case accountMissing(String)
    case notTraversable(path: String, account: String)
    case commandFailed(command: String, status: Int32, output: String, log: String)
    case lockFailed(path: String, reason: String)
    case filesystem(path: String, reason: String)

    public var description: String {
        switch self {
        case .binariesNotFound(let searched):
            return
                "PostgreSQL server binaries (initdb, pg_ctl) not found in \(searched.joined(separator: ", ")); install Debian's postgresql package (scripts/setup.sh does) or set RECUR_PG_BIN"
        case .accountMissing(let account):
            return
                "running as root, but the '\(account)' account PostgreSQL must run under does not exist; install Debian's postgresql package or run recur as an ordinary user"
        case .notTraversable(let path, let account):
            return
                "PostgreSQL runs as '\(account)' and cannot reach \(path); make its parent folders traversable (chmod o+x) or set RECUR_HOME to a folder it can reach"
        case .commandFailed(let command, let status, let output, let log):
            var text = "\(command) failed with status \(status)"
            let detail = (output + "\n" + log).split(separator: "\n").suffix(6).joined(separator: " | ")
            if !detail.isEmpty { text += ": \(detail)" }
            return text
        case .lockFailed(let path, let reason):
            return "cannot lock \(path): \(reason)"
        case .filesystem(let path, let reason):
            return "\(path): \(reason)"
        }
    }
}
