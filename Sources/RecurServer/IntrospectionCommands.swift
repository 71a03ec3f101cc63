import Foundation
import RecurCore

/// What clients and tools ask a server about itself: `INFO`, `COMMAND`, `CONFIG GET`.
extension CommandHandler {
    /// `INFO [section ...]`: Redis's `# Section` / `field:value` text. `loading:0` and
    /// `redis_version` are there because clients read them before their first command.
    func info(_ args: ArraySlice<String>) -> Reply {
        let wanted = Set(args.map { $0.lowercased() })
        let everything = wanted.isEmpty || !wanted.isDisjoint(with: ["all", "default", "everything"])
        var text = ""
        for (section, fields) in infoSections() where everything || wanted.contains(section.lowercased()) {
            if !text.isEmpty { text += "\r\n" }
            text += "# \(section)\r\n" + fields.map { "\($0.0):\($0.1)\r\n" }.joined()
        }
        return .text(text)
    }

    private func infoSections() -> [(String, [(String, String)])] {
        let fresh = service.freshness
        let stored = service.storedModels
        let uptime = status.uptimeSeconds
        let (loaded, expected) = service.loadProgress
        let loading: [(String, String)] =
            service.isReady
            ? [("loading", "0")]
            : [
                ("loading", "1"), ("loading_loaded_users", String(loaded)), ("loading_expected_users", String(expected)),
                ("loading_loaded_perc", String(format: "%.2f", expected > 0 ? 100 * Double(loaded) / Double(expected) : 0))
            ]
        return [
            (
                "Server",
                [
                    ("redis_version", Self.redisVersion), ("recur_version", RecurVersion.current), ("redis_mode", "standalone"),
                    ("arch_bits", String(MemoryLayout<Int>.size * 8)), ("process_id", String(ProcessInfo.processInfo.processIdentifier)),
                    ("tcp_port", String(status.port)), ("uptime_in_seconds", String(uptime)), ("uptime_in_days", String(uptime / 86_400)),
                    ("io_threads_active", "0"), ("event_loops", String(status.threads))
                ]
            ),
            ("Clients", [("connected_clients", String(status.connectedClients)), ("maxclients", String(status.maximumConnections))]),
            ("Persistence", loading),
            (
                "Stats",
                [
                    ("total_connections_received", String(status.connectionsReceived)), ("total_commands_processed", String(metrics.total)),
                    ("rejected_connections", String(status.connectionsRejected))
                ]
            ),
            (
                "Recur",
                [
                    ("users_loaded", String(service.userCount)), ("serving_model", service.model.version),
                    ("serving_kind", service.model.artifact.kind.rawValue),
                    ("model_reference", service.modelReference), ("feature_set", service.set.reference),
                    ("models", stored.versions.joined(separator: ",")),
                    ("aliases", stored.aliases.map { "\($0.alias)=\($0.version)" }.joined(separator: ",")),
                    ("feature_update_age_seconds", fresh.updateAge.isFinite ? String(format: "%.1f", fresh.updateAge) : "-1"),
                    ("feature_catch_up_age_seconds", String(format: "%.1f", fresh.catchUpAge))
                ]
            )
        ]
    }

    /// `COMMAND`, `COMMAND COUNT`, `COMMAND INFO name…`, `COMMAND DOCS [name…]`, `COMMAND LIST`.
    func commandInfo(_ args: ArraySlice<String>) -> Reply {
        guard let sub = args.first?.uppercased() else { return .array(CommandCatalog.all.map(\.info)) }
        let names = args.dropFirst()
        switch sub {
        case "COUNT":
            return .integer(CommandCatalog.all.count)
        case "INFO":
            let specs = names.isEmpty ? CommandCatalog.all.map { Optional($0) } : names.map { CommandCatalog.spec($0) }
            return .array(specs.map { $0?.info ?? .null })
        case "DOCS":
            let specs = names.isEmpty ? CommandCatalog.all : names.compactMap { CommandCatalog.spec($0) }
            return .map(specs.map { ($0.name.lowercased(), $0.docs) })
        case "LIST":
            return .list(CommandCatalog.all.map { $0.name.lowercased() })
        case "HELP":
            return .list([
                "COMMAND <subcommand> [<arg> ...]. Subcommands are:", "(no subcommand)", "COUNT", "INFO [<command-name> ...]",
                "DOCS [<command-name> ...]", "LIST", "HELP"
            ])
        default:
            return .error(code: "SYNTAX", message: "unknown subcommand '\(sub.prefix(40))'. Try COMMAND HELP.")
        }
    }

    /// `CONFIG GET` answers with no parameters (clients such as redis-benchmark ask and carry on);
    /// nothing can be changed from a connection.
    func config(_ args: ArraySlice<String>) -> Reply {
        switch args.first?.uppercased() {
        case "GET":
            guard args.count >= 2 else { return usage("CONFIG GET parameter [parameter ...]") }
            return .map([])
        case "SET", "RESETSTAT", "REWRITE":
            return .error(code: "UNSUPPORTED", message: "Recur is configured by its command line, not by CONFIG")
        default:
            return usage("CONFIG GET parameter [parameter ...]")
        }
    }
}
