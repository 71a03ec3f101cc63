import Foundation
import Postgres

/// Where Recur keeps its data: a PostgreSQL named by URL, or the embedded cluster in the Recur home.
public struct StoreLocation: Sendable {
    /// A `postgres://` URL or libpq connection string; nil means the embedded cluster.
    public var databaseURL: String?
    /// The Recur data folder: `$RECUR_HOME`, else `.recur` in the working directory.
    public var home: String
    /// The PostgreSQL schema holding Recur's tables (`$RECUR_SCHEMA`, default `public`).
    public var schema: String

    public init(databaseURL: String? = nil, home: String? = nil, schema: String? = nil) {
        let environment = ProcessInfo.processInfo.environment
        self.databaseURL = databaseURL ?? environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let folder = home ?? environment["RECUR_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? ".recur"
        self.home = URL(fileURLWithPath: folder).standardizedFileURL.path
        self.schema = schema ?? environment["RECUR_SCHEMA"].flatMap { $0.isEmpty ? nil : $0 } ?? "public"
    }

    /// Where this location points, safe to print (passwords hidden).
    public var displayName: String {
        if let databaseURL { return Connection.redacted(databaseURL) }
        return "embedded cluster in \(home)"
    }
}
