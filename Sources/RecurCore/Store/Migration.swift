/// One numbered schema change, applied once, inside a transaction, in order.
public struct Migration: Sendable {
    public let version: Int
    public let name: String
    public let sql: String

    /// Recorded with the migration so that a changed, already-applied migration is noticed.
    var checksum: String { stableHash(sql) }
}
