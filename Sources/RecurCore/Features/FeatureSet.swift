import Crypto
import Foundation

/// A named, versioned list of features with the session gap and allowed lateness they are computed with.
public struct FeatureSet: Sendable, Hashable {
    public var name: String
    public var version: Int
    public var sessionGap: TimeSpan
    public var allowedLateness: TimeSpan
    public var features: [FeatureDefinition]
    /// The definition's text, stored with snapshots so that a set's meaning is never lost.
    public var source: String

    public var featureNames: [String] { features.map(\.name) }
    /// `name@version`, as commands and models refer to the set.
    public var reference: String { "\(name)@\(version)" }

    /// SHA-256 of the definition text: two sets with one reference but different text are caught.
    public var checksum: String {
        SHA256.hash(data: Data(source.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Events older than this before a user's latest event can no longer change any windowed feature.
    var historyKept: TimeSpan {
        let longest = features.compactMap(\.horizon).max() ?? .days(1)
        return longest + allowedLateness + .days(1)
    }
}
