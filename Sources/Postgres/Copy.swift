import CLibPQ

extension Connection {
    /// Streams rows into `COPY … FROM STDIN`: `body` writes data in chunks through the writer.
    /// Returns the number of rows the server loaded. If `body` throws, the COPY is aborted and nothing is loaded.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (CopyInWriter) throws -> Void) throws -> Int {
        let context = statementSummary(sql)
        let start = PQexec(handle, sql)
        _ = try check(start, context: context, accepting: [PGRES_COPY_IN])
        let writer = CopyInWriter(connection: self, context: context)
        do {
            try body(writer)
        } catch {
            _ = PQputCopyEnd(handle, "aborted by client")
            drainResults()
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            drainResults()
            throw PostgresError.from(result: nil, connection: handle, context: context)
        }
        // The first result says whether the COPY worked; drain the rest so the connection is ready again.
        let result = PQgetResult(handle)
        defer { drainResults() }
        return try check(result, context: context, accepting: [PGRES_COMMAND_OK]).affectedRows
    }

    /// Streams the output of `COPY … TO STDOUT`, handing each row's bytes (without copying the whole reply) to `body`.
    public func copyOut(_ sql: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let context = statementSummary(sql)
        _ = try check(PQexec(handle, sql), context: context, accepting: [PGRES_COPY_OUT])
        var buffer: UnsafeMutablePointer<CChar>? = nil
        while true {
            let length = PQgetCopyData(handle, &buffer, 0)
            if length == -1 { break }
            if length == -2 {
                drainResults()
                throw PostgresError.from(result: nil, connection: handle, context: context)
            }
            defer { PQfreemem(buffer); buffer = nil }
            do {
                try body(UnsafeRawBufferPointer(start: buffer, count: Int(length)))
            } catch {
                // Abandon the rest of the stream; the connection cannot be reused mid-COPY.
                PQfreemem(buffer)
                buffer = nil
                _ = PQrequestCancel(handle)
                while PQgetCopyData(handle, &buffer, 0) >= 0 { PQfreemem(buffer); buffer = nil }
                drainResults()
                throw error
            }
        }
        let result = PQgetResult(handle)
        defer { drainResults() }
        _ = try check(result, context: context, accepting: [PGRES_COMMAND_OK])
    }

    func drainResults() {
        while let result = PQgetResult(handle) { PQclear(result) }
    }
}

/// Sends COPY data for one `copyIn` call; valid only inside its closure.
public final class CopyInWriter {
    private let connection: Connection
    private let context: String

    init(connection: Connection, context: String) {
        self.connection = connection
        self.context = context
    }

    /// Sends bytes in COPY's text or CSV format; rows may span calls.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(PostgresError) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        let status = PQputCopyData(connection.handle, base.assumingMemoryBound(to: CChar.self), Int32(bytes.count))
        guard status == 1 else {
            throw PostgresError.from(result: nil, connection: connection.handle, context: context)
        }
    }

    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    public func write(_ text: String) throws {
        var text = text
        try text.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }
}
