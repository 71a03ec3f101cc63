import Foundation

/// The catalog as tools read it: `recur features list --format json` and `GET /v1/feature-sets`.
public struct FeatureSetListing: Sendable, Codable, Equatable {
    /// One feature: its name, what it aggregates over which events, and in what window.
    public struct Feature: Sendable, Codable, Equatable {
        public var name: String
        public var kind: String
        public var events: String
        public var per: String?
        public var window: String?
        public var baseline: String?
        public var description: String
    }

    public var name: String
    public var version: Int
    public var reference: String
    public var sessionGap: String
    public var allowedLateness: String
    public var features: [Feature]

    enum CodingKeys: String, CodingKey {
        case name, version, reference, features, sessionGap = "session_gap", allowedLateness = "allowed_lateness"
    }

    public init(_ set: FeatureSet) {
        name = set.name
        version = set.version
        reference = set.reference
        sessionGap = set.sessionGap.description
        allowedLateness = set.allowedLateness.description
        features = set.features.map {
            Feature(
                name: $0.name, kind: $0.kind.rawValue, events: $0.filter.rawValue, per: $0.per?.rawValue, window: $0.window?.description,
                baseline: $0.baseline?.description, description: $0.description)
        }
    }
}

extension FeatureCatalog {
    /// Every set, by name then version.
    public var listing: [FeatureSetListing] {
        sets.sorted { ($0.name, $0.version) < ($1.name, $1.version) }.map(FeatureSetListing.init)
    }

    /// `{"feature_sets": [...]}`, keys sorted, the same bytes wherever it is asked for.
    public var listingJSON: Data {
        struct Body: Encodable {
            var featureSets: [FeatureSetListing]
            enum CodingKeys: String, CodingKey { case featureSets = "feature_sets" }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(Body(featureSets: listing))) ?? Data("{\"feature_sets\":[]}".utf8)
    }
}
