import CLibPQ

/// The rows of one statement's reply; owns the libpq result and frees it when released.
public final class QueryResult {
    private let handle: OpaquePointer
    private let context: String

    /// Number of rows returned.
    public let rowCount: Int
    /// Number of columns returned.
    public let columnCount: Int
    /// Rows inserted, updated or deleted (the count in the command tag), 0 when there is none.
    public let affectedRows: Int

    init(taking handle: OpaquePointer, context: String) {
        self.handle = handle
        self.context = context
        rowCount = Int(PQntuples(handle))
        columnCount = Int(PQnfields(handle))
        affectedRows = Int(String(cString: PQcmdTuples(handle))) ?? 0
    }

    deinit { PQclear(handle) }

    /// Column names in order.
    public var columnNames: [String] {
        (0..<columnCount).map { String(cString: PQfname(handle, Int32($0))) }
    }

    /// The type of each column, as PostgreSQL's type OID (20 bigint, 1700 numeric, 1184 timestamptz…).
    public func columnType(_ column: Int) -> UInt32 { UInt32(PQftype(handle, Int32(column))) }

    /// The column index of `name`, or nil.
    public func column(named name: String) -> Int? {
        let index = Int(PQfnumber(handle, name))
        return index >= 0 ? index : nil
    }

    /// Whether the value at (row, column) is SQL NULL.
    public func isNull(_ row: Int, _ column: Int) -> Bool {
        PQgetisnull(handle, Int32(row), Int32(column)) == 1
    }

    /// The text of the value at (row, column), nil for NULL.
    public func text(_ row: Int, _ column: Int) -> String? {
        precondition(row < rowCount && column < columnCount, "row \(row), column \(column) outside the result")
        if isNull(row, column) { return nil }
        return String(cString: PQgetvalue(handle, Int32(row), Int32(column)))
    }

    /// The value at (row, column) decoded as `T`, nil for NULL; throws when the text is not a `T`.
    public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ row: Int, _ column: Int) throws(PostgresError) -> T? {
        guard let text = text(row, column) else { return nil }
        guard let value = T(postgresText: text) else {
            throw PostgresError(
                origin: .client,
                message: "column \(columnNames[column]) holds '\(text.prefix(40))', not a \(T.self)",
                context: context)
        }
        return value
    }

    /// Like `decode`, but NULL is an error too.
    public func require<T: PostgresDecodable>(_ type: T.Type = T.self, _ row: Int, _ column: Int) throws(PostgresError) -> T {
        guard let value = try decode(T.self, row, column) else {
            throw PostgresError(origin: .client, message: "column \(columnNames[column]) is NULL in row \(row)", context: context)
        }
        return value
    }

    /// The rows, each as a lightweight view into this result.
    public var rows: [Row] { (0..<rowCount).map { Row(result: self, index: $0) } }

    /// One row of a result; keeps the result alive while it is used.
    public struct Row {
        let result: QueryResult
        public let index: Int

        public subscript(column: Int) -> String? { result.text(index, column) }

        public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws(PostgresError) -> T? {
            try result.decode(T.self, index, column)
        }

        public func require<T: PostgresDecodable>(_ type: T.Type = T.self, _ column: Int) throws(PostgresError) -> T {
            try result.require(T.self, index, column)
        }

        public func decode<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws(PostgresError) -> T? {
            guard let column = result.column(named: name) else {
                throw PostgresError(origin: .client, message: "no column named \(name)", context: result.context)
            }
            return try result.decode(T.self, index, column)
        }

        public func require<T: PostgresDecodable>(_ type: T.Type = T.self, _ name: String) throws(PostgresError) -> T {
            guard let column = result.column(named: name) else {
                throw PostgresError(origin: .client, message: "no column named \(name)", context: result.context)
            }
            return try result.require(T.self, index, column)
        }
    }
}
