import CLibPQ
import Foundation

/// One connection to PostgreSQL; owns the libpq handle and closes it when released.
///
/// Not thread-safe: use a connection from one thread at a time, and open one per worker.
public final class Connection {
    let handle: OpaquePointer

    /// Connects with a libpq connection string or a `postgres://` URL.
    public init(_ conninfo: String) throws(PostgresError) {
        guard let handle = PQconnectdb(conninfo) else {
            throw PostgresError(origin: .connection, message: "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Connection.hidingSecrets(of: conninfo, in: PostgresError.trimmed(String(cString: PQerrorMessage(handle))))
            PQfinish(handle)
            throw PostgresError(origin: .connection, message: message, context: "connecting to \(Connection.redacted(conninfo))")
        }
        self.handle = handle
        // Notices ("relation already exists, skipping") would go to stderr; callers check results instead.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        try execute("SET TIME ZONE 'UTC'")
    }

    deinit { PQfinish(handle) }

    /// Whether the connection is still usable.
    public var isOpen: Bool { PQstatus(handle) == CONNECTION_OK }

    /// The server's version number, e.g. 150018.
    public var serverVersion: Int { Int(PQserverVersion(handle)) }

    /// Runs one statement with parameters `$1, $2, …` sent separately from the SQL text.
    @discardableResult
    public func query(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws(PostgresError) -> QueryResult {
        let context = statementSummary(sql)
        let texts = parameters.map { $0?.postgresText }
        let result: OpaquePointer? = withCStrings(texts) { pointers in
            PQexecParams(handle, sql, Int32(pointers.count), nil, pointers, nil, nil, 0)
        }
        return try check(result, context: context, accepting: [PGRES_TUPLES_OK, PGRES_COMMAND_OK])
    }

    /// Runs one statement, or several separated by semicolons when there are no parameters.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) throws(PostgresError) -> Int {
        if parameters.isEmpty {
            let result = PQexec(handle, sql)
            return try check(result, context: statementSummary(sql), accepting: [PGRES_TUPLES_OK, PGRES_COMMAND_OK]).affectedRows
        }
        return try query(sql, parameters).affectedRows
    }

    /// Runs `body` inside BEGIN … COMMIT; rolls back and rethrows when it throws.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            if isOpen { _ = try? execute("ROLLBACK") }
            throw error
        }
    }

    /// Escapes an identifier (table, schema, channel name) for SQL text where parameters cannot go.
    public func quoteIdentifier(_ name: String) throws(PostgresError) -> String {
        guard let escaped = PQescapeIdentifier(handle, name, name.utf8.count) else {
            throw PostgresError(origin: .client, message: PostgresError.trimmed(String(cString: PQerrorMessage(handle))))
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// A string literal for the rare statement that cannot take parameters (`COPY (query) TO STDOUT`).
    public func quoteLiteral(_ text: String) throws(PostgresError) -> String {
        guard let escaped = PQescapeLiteral(handle, text, text.utf8.count) else {
            throw PostgresError(origin: .client, message: PostgresError.trimmed(String(cString: PQerrorMessage(handle))))
        }
        defer { PQfreemem(escaped) }
        return String(cString: escaped)
    }

    /// Takes ownership of a result, drains any results that follow, and throws on failure.
    func check(_ result: OpaquePointer?, context: String, accepting statuses: [ExecStatusType]) throws(PostgresError) -> QueryResult {
        guard let result else {
            throw PostgresError.from(result: nil, connection: handle, context: context)
        }
        let status = PQresultStatus(result)
        guard statuses.contains(status) else {
            let error = PostgresError.from(result: result, connection: handle, context: context)
            PQclear(result)
            throw error
        }
        return QueryResult(taking: result, context: context)
    }

    /// A connection string with its password hidden, for messages and logs.
    public static func redacted(_ conninfo: String) -> String {
        var text = conninfo
        if let range = text.range(of: #"://[^/@:]*:[^@/]*@"#, options: .regularExpression) {
            let userPart = text[range].dropFirst(3).prefix { $0 != ":" }
            text = text.replacingCharacters(in: range, with: "://\(userPart):***@")
        }
        text = text.replacingOccurrences(of: #"password\s*=\s*('[^']*'|[^\s&]+)"#, with: "password=***", options: .regularExpression)
        return hidingSecrets(of: conninfo, in: text)
    }

    /// `message` with every password `conninfo` holds replaced by `***`: libpq echoes a URL it cannot
    /// parse, or the token it choked on, whole.
    public static func hidingSecrets(of conninfo: String, in message: String) -> String {
        var text = message
        for secret in secrets(in: conninfo) where text.contains(secret) {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        return text
    }

    /// The passwords a connection string or URL holds, as written and percent-decoded, longest first.
    static func secrets(in conninfo: String) -> [String] {
        var found: [String] = []
        if let scheme = conninfo.range(of: "://") {
            // libpq ends the credentials at the first '@' before any '/'.
            let authority = conninfo[scheme.upperBound...].prefix { $0 != "/" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                found.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        let pattern = #"password\s*=\s*('[^']*'|[^\s&]+)"#
        var searchRange = conninfo.startIndex..<conninfo.endIndex
        while let match = conninfo.range(of: pattern, options: .regularExpression, range: searchRange) {
            let value = conninfo[match].drop { $0 != "=" }.dropFirst().drop { $0 == " " }
            found.append(String(value.hasPrefix("'") ? value.dropFirst().dropLast() : value))
            searchRange = match.upperBound..<conninfo.endIndex
        }
        found += found.compactMap { $0.removingPercentEncoding }
        return Set(found.filter { !$0.isEmpty }).sorted { $0.count > $1.count }
    }
}

/// Calls `body` with C strings for `texts` (nil stays NULL), valid only during the call.
func withCStrings<R>(_ texts: [String?], _ body: ([UnsafePointer<CChar>?]) -> R) -> R {
    var owned: [UnsafeMutablePointer<CChar>?] = texts.map { $0.map { strdup($0) } }
    defer { for pointer in owned { free(pointer) } }
    return owned.withUnsafeMutableBufferPointer { buffer in
        body(buffer.map { UnsafePointer($0) })
    }
}
