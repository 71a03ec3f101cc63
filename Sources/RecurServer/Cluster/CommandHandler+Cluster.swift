import Foundation

extension CommandHandler {
    /// The commands whose words name users, and which of their words do: the first, or (MSCORE) all.
    static let userKeyed: [String: Bool] = ["SCORE": false, "FEATURES": false, "EXPLAIN": false, "PREDICT": false, "MSCORE": true]

    /// Redis Cluster's redirection: a user another node holds gets `MOVED slot host:port`, users of
    /// several slots in one MSCORE get `CROSSSLOT`; a replica answers only after READONLY, as in Redis.
    func redirection(_ command: String, _ args: ArraySlice<String>) -> Reply? {
        guard let layout = service.cluster, let all = Self.userKeyed[command], let first = args.first else { return nil }
        let slot = KeySlot.of(first)
        if all, args.dropFirst().contains(where: { KeySlot.of($0) != slot }) {
            return .error(code: "CROSSSLOT", message: "Keys in request don't hash to the same slot")
        }
        if layout.owns(slot) && (!layout.isReplica(for: slot) || session.readOnly) { return nil }
        guard let primary = layout.primary(of: slot) else { return .error(code: "CLUSTERDOWN", message: "Hash slot not served") }
        return .error(code: "MOVED", message: "\(slot) \(primary.host):\(primary.port)")
    }

    /// CLUSTER SLOTS, SHARDS, NODES, MYID, INFO, KEYSLOT (and COUNTKEYSINSLOT's cousin, nothing else).
    func cluster(_ args: ArraySlice<String>) -> Reply {
        let sub = args.first?.uppercased() ?? ""
        if sub == "KEYSLOT" {
            guard args.count == 2 else { return usage("CLUSTER KEYSLOT key") }
            return .integer(KeySlot.of(args[args.startIndex + 1]))
        }
        guard let layout = service.cluster else {
            return .error(code: "UNSUPPORTED", message: "This instance has cluster support disabled (start it with --cluster-config)")
        }
        func endpoint(_ node: ClusterLayout.Node) -> Reply { .array([.text(node.host), .integer(node.port), .text(node.id)]) }
        switch sub {
        case "MYID": return .text(layout.myself.id)
        case "SLOTS":
            return .array(
                layout.shards.map { shard in .array([.integer(shard.range.lowerBound), .integer(shard.range.upperBound)] + shard.nodes.map(endpoint)) })
        case "SHARDS":
            return .array(
                layout.shards.map { shard in
                    .map([
                        ("slots", .array([.integer(shard.range.lowerBound), .integer(shard.range.upperBound)])),
                        (
                            "nodes",
                            .array(
                                shard.nodes.enumerated().map { index, node in
                                    .map([
                                        ("id", .text(node.id)), ("port", .integer(node.port)), ("ip", .text(node.host)), ("endpoint", .text(node.host)),
                                        ("role", .text(index == 0 ? "master" : "replica")), ("replication-offset", .integer(0)), ("health", .text("online"))
                                    ])
                                })
                        )
                    ])
                })
        case "NODES":
            var lines = [String]()
            for node in layout.nodes {
                let primaryOf = layout.shards.filter { $0.nodes.first?.id == node.id }.map(\.range)
                let replicaOf = layout.shards.first { $0.nodes.first?.id != node.id && $0.nodes.contains { $0.id == node.id } }?.nodes.first
                let role = replicaOf.map { "slave \($0.id)" } ?? "master -"
                let flags = (node.id == layout.myself.id ? "myself," : "") + role
                let slots = primaryOf.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }.joined(separator: " ")
                lines.append("\(node.id) \(node.host):\(node.port)@\(node.port + 10_000) \(flags) 0 0 1 connected\(slots.isEmpty ? "" : " " + slots)")
            }
            return .text(lines.joined(separator: "\n") + "\n")
        case "INFO":
            let assigned = layout.slotsAssigned
            let fields = [
                "cluster_enabled:1", "cluster_state:\(assigned == KeySlot.count ? "ok" : "fail")", "cluster_slots_assigned:\(assigned)",
                "cluster_slots_ok:\(assigned)", "cluster_slots_pfail:0", "cluster_slots_fail:0", "cluster_known_nodes:\(layout.nodes.count)",
                "cluster_size:\(Set(layout.shards.compactMap { $0.nodes.first?.id }).count)", "cluster_current_epoch:1", "cluster_my_epoch:1"
            ]
            return .text(fields.joined(separator: "\r\n") + "\r\n")
        default:
            return .error(
                code: "SYNTAX", message: "unknown CLUSTER subcommand '\(sub.prefix(40))'; this server answers SLOTS, SHARDS, NODES, MYID, INFO, KEYSLOT")
        }
    }
}
