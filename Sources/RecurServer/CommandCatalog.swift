/// Every command the server answers, described as Redis describes its own in `COMMAND` and
/// `COMMAND DOCS`, so that clients and `redis-cli` can discover them.
struct CommandSpec: Sendable {
    /// One documented argument; a `token` is the literal word before the value (`AT time`).
    struct Argument: Sendable {
        var name: String
        var type = "string"
        var token: String?
        var optional = false
        var multiple = false
    }

    var name: String
    /// Redis's convention: N means exactly N words with the name, -N at least N.
    var arity: Int
    var flags: [String]
    var group: String
    var summary: String
    var since = "0.1.0"
    var complexity = "O(1)"
    /// First and last word that names a user (the "key"), 0 when none; -1 = the last word.
    var firstKey = 0
    var lastKey = 0
    var arguments: [Argument] = []

    /// The `COMMAND` / `COMMAND INFO` entry: name, arity, flags, keys, ACL categories, tips, key specs, subcommands.
    var info: Reply {
        .array([
            .text(name.lowercased()), .integer(arity), .array(flags.map { .simple($0) }),
            .integer(firstKey), .integer(lastKey), .integer(firstKey == 0 ? 0 : 1),
            .array([.simple("@\(group)")]), .array([]), .array([]), .array([])
        ])
    }

    /// The `COMMAND DOCS` entry.
    var docs: Reply {
        var pairs: [(String, Reply)] = [("summary", .text(summary)), ("since", .text(since)), ("group", .text(group)), ("complexity", .text(complexity))]
        if !arguments.isEmpty {
            pairs.append(
                (
                    "arguments",
                    .array(
                        arguments.map { argument in
                            var fields: [(String, Reply)] = [("name", .text(argument.name)), ("type", .text(argument.type))]
                            if let token = argument.token { fields.append(("token", .text(token))) }
                            let flags = (argument.optional ? ["optional"] : []) + (argument.multiple ? ["multiple"] : [])
                            if !flags.isEmpty { fields.append(("flags", .array(flags.map { .simple($0) }))) }
                            return .map(fields)
                        })
                ))
        }
        return .map(pairs)
    }
}

enum CommandCatalog {
    typealias A = CommandSpec.Argument

    static let all: [CommandSpec] = [
        CommandSpec(
            name: "SCORE", arity: -2, flags: ["readonly", "fast"], group: "recur",
            summary: "Next-purchase probability of a user, as of now or AT a time, from the served model or MODEL version.",
            firstKey: 1, lastKey: 1,
            arguments: [A(name: "user"), A(name: "version", token: "MODEL", optional: true), A(name: "time", token: "AT", optional: true)]),
        CommandSpec(
            name: "MSCORE", arity: -2, flags: ["readonly", "fast"], group: "recur", summary: "SCORE for up to 1000 users at once.",
            complexity: "O(N) for N users", firstKey: 1, lastKey: -1, arguments: [A(name: "user", multiple: true)]),
        CommandSpec(
            name: "FEATURES", arity: -2, flags: ["readonly", "fast"], group: "recur", summary: "A user's feature values, as of now or AT a time.",
            firstKey: 1, lastKey: 1, arguments: [A(name: "user"), A(name: "time", token: "AT", optional: true)]),
        CommandSpec(
            name: "EXPLAIN", arity: 2, flags: ["readonly", "fast"], group: "recur", summary: "The five features that move a user's score most.",
            firstKey: 1, lastKey: 1, arguments: [A(name: "user")]),
        CommandSpec(
            name: "PREDICT", arity: -2, flags: ["readonly", "fast"], group: "recur",
            summary: "A user's next purchase: P(alive), expected purchases, P(a purchase), expected spend, value and median days, over HORIZON days.",
            firstKey: 1, lastKey: 1,
            arguments: [
                A(name: "user"), A(name: "time", token: "AT", optional: true), A(name: "days", token: "HORIZON", optional: true),
                A(name: "version", token: "SPEND", optional: true), A(name: "rate", token: "DISCOUNT", optional: true)
            ]),
        CommandSpec(name: "MODELS", arity: 1, flags: ["readonly"], group: "recur", summary: "The served model, the aliases and every stored version."),
        CommandSpec(name: "STATS", arity: 1, flags: ["readonly", "fast"], group: "recur", summary: "Users in memory, model, feature freshness, requests."),
        CommandSpec(
            name: "PING", arity: -1, flags: ["fast", "stale"], group: "connection", summary: "PONG, or the message given.",
            arguments: [A(name: "message", optional: true)]),
        CommandSpec(name: "ECHO", arity: 2, flags: ["fast"], group: "connection", summary: "The message given.", arguments: [A(name: "message")]),
        CommandSpec(
            name: "AUTH", arity: -2, flags: ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection",
            summary: "Authenticates the connection with the server's token (user: default).",
            arguments: [A(name: "username", optional: true), A(name: "password")]),
        CommandSpec(
            name: "HELLO", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection",
            summary: "Chooses RESP2 or RESP3, optionally authenticates and names the connection; returns the server's properties.",
            since: "6.0.0",
            arguments: [
                A(name: "protover", type: "integer", optional: true), A(name: "username password", token: "AUTH", optional: true),
                A(name: "clientname", token: "SETNAME", optional: true)
            ]),
        CommandSpec(
            name: "CLIENT", arity: -2, flags: ["noscript", "loading", "stale"], group: "connection",
            summary: "CLIENT ID, GETNAME, SETNAME, SETINFO, INFO, NO-EVICT, NO-TOUCH, HELP.", arguments: [A(name: "subcommand")]),
        CommandSpec(
            name: "SELECT", arity: 2, flags: ["loading", "stale", "fast"], group: "connection", summary: "Accepts database 0, the only one.",
            arguments: [A(name: "index", type: "integer")]),
        CommandSpec(
            name: "RESET", arity: 1, flags: ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection",
            summary: "Back to RESP2 and, when a token is set, unauthenticated."),
        CommandSpec(
            name: "QUIT", arity: -1, flags: ["noscript", "loading", "stale", "fast", "no_auth"], group: "connection",
            summary: "Closes the connection once the replies before it are written."),
        CommandSpec(
            name: "MULTI", arity: 1, flags: ["noscript", "loading", "stale", "fast"], group: "transactions",
            summary: "Starts a transaction: the commands that follow are queued until EXEC."),
        CommandSpec(
            name: "EXEC", arity: 1, flags: ["noscript", "loading", "stale"], group: "transactions",
            summary: "Runs the queued commands with one model and answers with all their replies."),
        CommandSpec(name: "DISCARD", arity: 1, flags: ["noscript", "loading", "stale", "fast"], group: "transactions", summary: "Drops the queued commands."),
        CommandSpec(
            name: "WATCH", arity: -2, flags: ["noscript", "loading", "stale", "fast"], group: "transactions",
            summary: "Accepted: clients cannot change what this server holds, so nothing watched ever changes.",
            firstKey: 1, lastKey: -1, arguments: [A(name: "key", multiple: true)]),
        CommandSpec(name: "UNWATCH", arity: 1, flags: ["noscript", "loading", "stale", "fast"], group: "transactions", summary: "Accepted, as WATCH."),
        CommandSpec(
            name: "INFO", arity: -1, flags: ["loading", "stale"], group: "server",
            summary: "Server, clients, persistence, stats and recur sections, as Redis writes them.",
            arguments: [A(name: "section", optional: true, multiple: true)]),
        CommandSpec(
            name: "COMMAND", arity: -1, flags: ["loading", "stale"], group: "server",
            summary: "The commands' descriptions: COMMAND, COMMAND COUNT, COMMAND INFO, COMMAND DOCS, COMMAND LIST.",
            arguments: [A(name: "subcommand", optional: true)]),
        CommandSpec(
            name: "CONFIG", arity: -2, flags: ["loading", "stale"], group: "server",
            summary: "CONFIG GET answers with no parameters: Recur is configured by its command line.",
            arguments: [A(name: "subcommand"), A(name: "parameter", multiple: true)]),
        CommandSpec(
            name: "CLUSTER", arity: -2, flags: ["loading", "stale"], group: "cluster",
            summary: "With --cluster-config: CLUSTER SLOTS, SHARDS, NODES, MYID, INFO; CLUSTER KEYSLOT key always.",
            arguments: [A(name: "subcommand"), A(name: "argument", optional: true, multiple: true)]),
        CommandSpec(
            name: "READONLY", arity: 1, flags: ["loading", "stale", "fast"], group: "cluster",
            summary: "A replica answers this connection's reads instead of redirecting them to the slot's primary."),
        CommandSpec(name: "READWRITE", arity: 1, flags: ["loading", "stale", "fast"], group: "cluster", summary: "Undoes READONLY."),
        CommandSpec(name: "ASKING", arity: 1, flags: ["fast"], group: "cluster", summary: "Accepted: slots never migrate between Recur nodes while they run.")
    ]

    static func spec(_ name: String) -> CommandSpec? {
        let upper = name.uppercased()
        return all.first { $0.name == upper }
    }

    static let names = all.map(\.name).joined(separator: ", ")
}
