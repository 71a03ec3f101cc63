import Dispatch

/// What one connection remembers between requests: the protocol it asked for with `HELLO`, the
/// name and library it gave with `CLIENT`, and whether it has authenticated.
struct ClientSession: Sendable {
    let id: Int
    /// The peer as `host:port`, for `CLIENT INFO`.
    let address: String
    let connectedNanoseconds = DispatchTime.now().uptimeNanoseconds
    /// 2 until the client asks for 3 with `HELLO 3`; `RESET` goes back to 2.
    var protocolVersion = 2
    var name: String?
    var libraryName: String?
    var libraryVersion: String?
    var authenticated: Bool
    /// READONLY was sent: a cluster replica answers this connection's reads instead of redirecting them.
    var readOnly = false
    /// Requests queued since MULTI; nil outside a transaction.
    var transaction: [Request]?
    /// A request could not be queued: EXEC answers EXECABORT.
    var transactionFailed = false

    init(id: Int, address: String, authenticated: Bool) {
        self.id = id
        self.address = address
        self.authenticated = authenticated
    }

    /// A plain request gets a plain line whatever the session; RESP follows the session's protocol.
    func encoding(for request: Request) -> ReplyEncoding {
        request.resp ? (protocolVersion == 3 ? .resp3 : .resp2) : .plain
    }

    var ageSeconds: Int { Int((DispatchTime.now().uptimeNanoseconds - connectedNanoseconds) / 1_000_000_000) }

    /// The `CLIENT INFO` line, in Redis's `key=value` form.
    var infoLine: String {
        "id=\(id) addr=\(address) name=\(name ?? "") age=\(ageSeconds) db=0 multi=\(transaction.map { String($0.count) } ?? "-1") resp=\(protocolVersion) "
            + "lib-name=\(libraryName ?? "") lib-ver=\(libraryVersion ?? "") cmd=client|info"
    }

    /// Names, library names and versions are one word: they appear in `key=value` lines.
    static func isValidName(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 32 && $0 < 127 }
    }
}
