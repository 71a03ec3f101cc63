import CLibPQ
import Foundation

/// An error from PostgreSQL or from libpq, with the SQLSTATE when the server sent one.
public struct PostgresError: Error, CustomStringConvertible, Sendable {
    /// Where the error came from.
    public enum Origin: Sendable, Equatable {
        /// Could not connect, or the connection broke.
        case connection
        /// The server rejected a statement; `sqlState` says why.
        case server
        /// The reply was not what the client expected (for example a type that cannot be decoded).
        case client
    }

    public let origin: Origin
    /// Five-character SQLSTATE code such as `23505` (unique violation), when the server sent one.
    public let sqlState: String?
    public let message: String
    public let detail: String?
    /// What Recur was doing, e.g. the first words of the statement.
    public let context: String?

    public init(origin: Origin, sqlState: String? = nil, message: String, detail: String? = nil, context: String? = nil) {
        self.origin = origin
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.context = context
    }

    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// The connection is gone (admin shutdown, crash, network): the caller may reconnect and retry.
    public var isConnectionLoss: Bool {
        origin == .connection || (sqlState.map { $0.hasPrefix("08") || $0 == "57P01" || $0 == "57P02" || $0 == "57P03" } ?? false)
    }

    public var description: String {
        var text = "PostgreSQL"
        if let sqlState { text += " [\(sqlState)]" }
        text += ": \(message)"
        if let detail, !detail.isEmpty { text += " (\(detail))" }
        if let context { text += " while \(context)" }
        return text
    }

    /// Reads the fields of a failed result; the result itself stays owned by the caller.
    static func from(result: OpaquePointer?, connection: OpaquePointer, context: String?) -> PostgresError {
        func field(_ code: Character) -> String? {
            guard let result, let value = PQresultErrorField(result, Int32(code.asciiValue!)) else { return nil }
            return String(cString: value)
        }
        let message = field("M") ?? trimmed(String(cString: PQerrorMessage(connection)))
        let sqlState = field("C")
        let origin: Origin = sqlState == nil && PQstatus(connection) != CONNECTION_OK ? .connection : .server
        return PostgresError(origin: origin, sqlState: sqlState, message: message, detail: field("D"), context: context)
    }

    static func trimmed(_ text: String) -> String {
        text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// First words of a statement, for error context without dumping whole queries (or their parameters).
func statementSummary(_ sql: String) -> String {
    let words = sql.split(whereSeparator: { $0.isWhitespace }).prefix(6).joined(separator: " ")
    return words.count > 60 ? String(words.prefix(60)) + "…" : words
}
