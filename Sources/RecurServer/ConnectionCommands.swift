import RecurCore

/// The handshake Redis clients send before their first command, answered as Redis answers it:
/// `AUTH`, `HELLO`, `CLIENT`, `SELECT`, `RESET`.
extension CommandHandler {
    /// `AUTH token` or `AUTH default token`: the server has one user, Redis's `default`.
    func auth(_ args: ArraySlice<String>) -> Reply {
        guard args.count == 1 || args.count == 2 else { return usage("AUTH [username] token") }
        if args.count == 1 && authToken == nil {
            return .error(code: "AUTH", message: "AUTH called without any token configured on this server")
        }
        if let failure = checkCredentials(user: args.count == 2 ? args.first! : "default", token: args.last!) { return failure }
        session.authenticated = true
        return .simple("OK")
    }

    /// nil when the credentials are right; a server without a token accepts any password for `default`, as Redis does.
    private func checkCredentials(user: String, token: String) -> Reply? {
        let accepted = user == "default" && (authToken.map { AuthToken.matches(token, $0) } ?? true)
        return accepted ? nil : .error(code: "WRONGPASS", message: "invalid username-password pair or user is disabled.")
    }

    /// `HELLO [protover [AUTH username password] [SETNAME clientname]]`: switches the protocol only
    /// when every option is valid, then answers with the server's properties in the new protocol.
    func hello(_ args: ArraySlice<String>) -> Reply {
        var version = session.protocolVersion
        var credentials: (String, String)?
        var name: String?
        if let first = args.first {
            guard let asked = Int(first) else { return .error(code: "SYNTAX", message: "Protocol version is not an integer or out of range") }
            guard asked == 2 || asked == 3 else { return .error(code: "NOPROTO", message: "unsupported protocol version") }
            version = asked
            var index = args.index(after: args.startIndex)
            while index < args.endIndex {
                let option = args[index].uppercased()
                let left = args.endIndex - index - 1
                if option == "AUTH" && left >= 2 {
                    credentials = (args[index + 1], args[index + 2])
                    index += 3
                } else if option == "SETNAME" && left >= 1 {
                    name = args[index + 1]
                    index += 2
                } else {
                    return .error(code: "SYNTAX", message: "Syntax error in HELLO option '\(args[index].prefix(40))'")
                }
            }
        }
        if let (user, token) = credentials {
            if let failure = checkCredentials(user: user, token: token) { return failure }
        } else if !session.authenticated {
            return .error(
                code: "NOAUTH",
                message:
                    "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
            )
        }
        if let name {
            guard ClientSession.isValidName(name) else { return Self.badName }
        }
        if credentials != nil { session.authenticated = true }
        if let name { session.name = name }
        session.protocolVersion = version
        return .map([
            ("server", .text("redis")), ("version", .text(Self.redisVersion)), ("proto", .integer(version)), ("id", .integer(session.id)),
            ("mode", .text("standalone")), ("role", .text("master")), ("modules", .array([])), ("recur_version", .text(RecurVersion.current))
        ])
    }

    /// The Redis version whose protocol this server speaks (RESP3, `CLIENT SETINFO`), as `HELLO` and `INFO` report it.
    static let redisVersion = "7.2.0"

    private static let badName = Reply.error(code: "SYNTAX", message: "Client names cannot contain spaces, newlines or special characters.")

    func client(_ args: ArraySlice<String>) -> Reply {
        guard let sub = args.first?.uppercased() else { return usage("CLIENT ID|GETNAME|SETNAME|SETINFO|INFO|NO-EVICT|NO-TOUCH|HELP") }
        let rest = args.dropFirst()
        if ["ID", "GETNAME", "INFO", "HELP"].contains(sub) && !rest.isEmpty {
            return .error(code: "SYNTAX", message: "wrong number of arguments for 'client|\(sub.lowercased())' command")
        }
        switch sub {
        case "ID":
            return .integer(session.id)
        case "GETNAME":
            return session.name.map { .text($0) } ?? .null
        case "SETNAME":
            guard let name = rest.first, rest.count == 1 else { return usage("CLIENT SETNAME name") }
            guard ClientSession.isValidName(name) || name.isEmpty else { return Self.badName }
            session.name = name.isEmpty ? nil : name
            return .simple("OK")
        case "SETINFO":
            guard rest.count == 2, let attribute = rest.first?.uppercased(), let value = rest.last else {
                return usage("CLIENT SETINFO LIB-NAME|LIB-VER value")
            }
            guard ClientSession.isValidName(value) || value.isEmpty else {
                return .error(code: "SYNTAX", message: "\(attribute.prefix(20)) cannot contain spaces, newlines or special characters.")
            }
            switch attribute {
            case "LIB-NAME": session.libraryName = value
            case "LIB-VER": session.libraryVersion = value
            default: return .error(code: "SYNTAX", message: "Unrecognized option '\(attribute.prefix(40))'")
            }
            return .simple("OK")
        case "INFO":
            return .text(session.infoLine + "\n")
        case "NO-EVICT", "NO-TOUCH":
            // Nothing here is evicted or touched: both settings are true already.
            guard let value = rest.first?.uppercased(), rest.count == 1, value == "ON" || value == "OFF" else { return usage("CLIENT \(sub) ON|OFF") }
            return .simple("OK")
        case "HELP":
            return .list([
                "CLIENT <subcommand> [<arg> ...]. Subcommands are:", "ID", "GETNAME", "SETNAME <name>", "SETINFO LIB-NAME|LIB-VER <value>",
                "INFO", "NO-EVICT ON|OFF", "NO-TOUCH ON|OFF", "HELP"
            ])
        default:
            return .error(code: "SYNTAX", message: "unknown subcommand '\(sub.prefix(40))'. Try CLIENT HELP.")
        }
    }

    func select(_ args: ArraySlice<String>) -> Reply {
        guard let index = args.first, args.count == 1 else { return usage("SELECT index") }
        guard let number = Int(index) else { return .error(code: "SYNTAX", message: "value is not an integer or out of range") }
        return number == 0 ? .simple("OK") : .error(code: "DB_INDEX", message: "DB index is out of range: Recur serves database 0 only")
    }

    /// Back to a new connection's state: RESP2 and, when a token is set, unauthenticated.
    func reset() -> Reply {
        session.protocolVersion = 2
        session.authenticated = authToken == nil
        session.transaction = nil
        session.transactionFailed = false
        return .simple("RESET")
    }
}
