import Crypto
import Foundation

/// Which node serves which hash slots: `recur serve --cluster-config FILE`, the same file on every
/// node, one line per node, `host:port first-last[,first-last…]` (`#` starts a comment). The first
/// node listed for a slot is its primary; later ones owning it too are its replicas. A node finds
/// itself by its port (and host, when two nodes share a port on different hosts).
public struct ClusterLayout: Sendable, Equatable {
    /// One node of the cluster.
    public struct Node: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var ranges: [ClosedRange<Int>]
        /// Its `--http-port`, when the file says.
        public var httpPort: Int?
        /// Redis's 40-hex-digit node id: here the SHA-1 of `host:port`, the same on every node.
        public var id: String

        func owns(_ slot: Int) -> Bool { ranges.contains { $0.contains(slot) } }
    }

    /// Why a cluster file cannot be used.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public let nodes: [Node]
    /// This node's index in `nodes`.
    public let me: Int

    public init(text: String, path: String, host: String, port: Int) throws(Invalid) {
        var nodes = [Node]()
        for (offset, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard !words.isEmpty else { continue }
            func fail(_ why: String) -> Invalid { Invalid(description: "\(path):\(offset + 1): \(why)") }
            var httpPort: Int?
            if words.count == 3 {
                guard words[2].hasPrefix("http="), let value = Int(words[2].dropFirst(5)), (1...65_535).contains(value) else {
                    throw fail("the third word must be http=PORT, found `\(words[2])`")
                }
                httpPort = value
            }
            guard words.count == 2 || words.count == 3, let colon = words[0].lastIndex(of: ":"), let nodePort = Int(words[0][words[0].index(after: colon)...]),
                (1...65_535).contains(nodePort), colon > words[0].startIndex
            else { throw fail("expected `host:port first-last[,first-last…] [http=PORT]`, found `\(line.trimmingCharacters(in: .whitespaces))`") }
            var ranges = [ClosedRange<Int>]()
            for part in words[1].split(separator: ",") {
                let bounds = part.split(separator: "-", maxSplits: 1).map { Int($0) }
                guard let first = bounds.first ?? nil, let last = bounds.count == 2 ? bounds[1] : first, first <= last, first >= 0, last < KeySlot.count
                else { throw fail("`\(part)` is not a slot range within 0-\(KeySlot.count - 1)") }
                ranges.append(first...last)
            }
            let nodeHost = String(words[0][..<colon])
            let id = Insecure.SHA1.hash(data: Data("\(nodeHost):\(nodePort)".utf8)).map { String(format: "%02x", $0) }.joined()
            guard !nodes.contains(where: { $0.host == nodeHost && $0.port == nodePort }) else { throw fail("\(words[0]) is listed twice") }
            nodes.append(Node(host: nodeHost, port: nodePort, ranges: ranges, httpPort: httpPort, id: id))
        }
        let mine = nodes.indices.filter { nodes[$0].port == port }
        guard let me = mine.count == 1 ? mine.first : mine.first(where: { nodes[$0].host == host }) else {
            throw Invalid(
                description:
                    "\(path): no node with port \(port) (this server's --port); the file lists \(nodes.map { "\($0.host):\($0.port)" }.joined(separator: ", "))"
            )
        }
        self.nodes = nodes
        self.me = me
    }

    public var myself: Node { nodes[me] }

    /// Whether this node holds the users of `slot` (as primary or replica).
    public func owns(_ slot: Int) -> Bool { myself.owns(slot) }

    /// Where a user this node does not hold lives: its slot and that slot's primary; nil when it is held here.
    public func elsewhere(_ user: String) -> (slot: Int, primary: Node)? {
        let slot = KeySlot.of(user)
        guard !owns(slot), let primary = primary(of: slot) else { return nil }
        return (slot, primary)
    }

    /// The slot's primary: the first node listed that owns it.
    public func primary(of slot: Int) -> Node? { nodes.first { $0.owns(slot) } }

    /// Whether this node is a replica for `slot` (it owns it, but another node is listed first).
    public func isReplica(for slot: Int) -> Bool { owns(slot) && primary(of: slot)?.id != myself.id }

    /// Slots some node serves.
    public var slotsAssigned: Int { (0..<KeySlot.count).filter { slot in nodes.contains { $0.owns(slot) } }.count }

    /// The distinct ranges with their nodes, primary first: what CLUSTER SLOTS and SHARDS list.
    public var shards: [(range: ClosedRange<Int>, nodes: [Node])] {
        var seen = [ClosedRange<Int>]()
        for node in nodes { for range in node.ranges where !seen.contains(range) { seen.append(range) } }
        return seen.sorted { $0.lowerBound < $1.lowerBound }.map { range in (range, nodes.filter { $0.ranges.contains(range) }) }
    }
}
