/// `MULTI` … `EXEC`, as client libraries send for their default pipelines (redis-py's
/// `pipeline()`, node-redis's `multi()`, go-redis's `TxPipeline`). Every command here only reads,
/// so running the queue in one go is all the isolation a transaction needs; the served model is read
/// once for the whole queue. `WATCH` has nothing to watch: clients cannot change what they read.
extension CommandHandler {
    /// Queues a request while a transaction is open; nil when the request is not queued.
    func queueInTransaction(_ request: Request, command: String) -> (MeteredCommand, Reply)? {
        guard session.transaction != nil, !["EXEC", "DISCARD", "MULTI", "WATCH", "QUIT", "RESET"].contains(command) else { return nil }
        guard CommandCatalog.spec(command) != nil else {
            session.transactionFailed = true
            return (.unknown, .error(code: "UNKNOWN_COMMAND", message: "\(command.prefix(40)); this server answers \(CommandCatalog.names)"))
        }
        // In a cluster, a command for another node's user is redirected when queued and the
        // transaction fails at EXEC, as Redis Cluster does.
        if let moved = redirection(command, request.words.dropFirst()) {
            session.transactionFailed = true
            return (CommandHandler.readsFeatures[command] ?? .unknown, moved)
        }
        session.transaction!.append(request)
        return (.multi, .simple("QUEUED"))
    }

    func multi() -> Reply {
        guard session.transaction == nil else { return .error(code: "SYNTAX", message: "MULTI calls can not be nested") }
        session.transaction = []
        session.transactionFailed = false
        return .simple("OK")
    }

    func exec() -> Reply {
        guard let queued = session.transaction else { return .error(code: "SYNTAX", message: "EXEC without MULTI") }
        session.transaction = nil
        if session.transactionFailed {
            session.transactionFailed = false
            return .error(code: "EXECABORT", message: "Transaction discarded because of previous errors.")
        }
        modelPinned = true
        defer { modelPinned = false }
        return .array(
            queued.map { request in
                let (name, reply) = execute(request)
                tally.record(name, nanoseconds: 0)
                return reply
            })
    }

    func discard() -> Reply {
        guard session.transaction != nil else { return .error(code: "SYNTAX", message: "DISCARD without MULTI") }
        session.transaction = nil
        session.transactionFailed = false
        return .simple("OK")
    }

    func watch(_ args: ArraySlice<String>) -> Reply {
        guard !args.isEmpty else { return usage("WATCH key [key ...]") }
        guard session.transaction == nil else { return .error(code: "SYNTAX", message: "WATCH inside MULTI is not allowed") }
        return .simple("OK")
    }
}
