import CRdKafka

/// librdkafka properties (`bootstrap.servers`, `security.protocol`, `sasl.password`, …), set as
/// kcat's `-X key=value` sets them. Secret values never appear in descriptions or errors.
public struct KafkaConfiguration: Sendable, CustomStringConvertible {
    public private(set) var properties: [(key: String, value: String)] = []

    public init(brokers: String? = nil) {
        if let brokers { set("bootstrap.servers", brokers) }
    }

    /// Sets a property; a later value for the same key wins.
    public mutating func set(_ key: String, _ value: String) {
        properties.removeAll { $0.key == key }
        properties.append((key, value))
    }

    public subscript(key: String) -> String? { properties.last { $0.key == key }?.value }

    /// Parses `key=value` as given to `-X`.
    public mutating func set(assignment: String) throws(KafkaError) {
        let parts = assignment.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw KafkaError(message: "expected -X key=value, found `\(Self.isSecret(parts[0]) ? parts[0] + "=***" : assignment)`")
        }
        set(parts[0], parts[1])
    }

    /// Whether a property holds a secret (passwords, keys, tokens), so its value is never shown.
    public static func isSecret(_ key: String) -> Bool {
        let k = key.lowercased()
        return ["password", "secret", "sasl.jaas", "oauthbearer.config", "ssl.key.pem", "ssl_key", "ssl.certificate.pem", "token"]
            .contains { k.contains($0) }
    }

    public var description: String {
        properties.map { "\($0.key)=\(Self.isSecret($0.key) ? "***" : $0.value)" }.joined(separator: " ")
    }

    /// A new librdkafka configuration object; the caller hands it to `rd_kafka_new` or destroys it.
    func makeHandle() throws(KafkaError) -> OpaquePointer {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(message: "librdkafka could not allocate a configuration") }
        var errorText = [CChar](repeating: 0, count: 512)
        for (key, value) in properties {
            let result = rd_kafka_conf_set(conf, key, value, &errorText, errorText.count)
            guard result == RD_KAFKA_CONF_OK else {
                rd_kafka_conf_destroy(conf)
                var message = KafkaError.text(errorText)
                if Self.isSecret(key) { message = message.replacingOccurrences(of: value, with: "***") }
                throw KafkaError(message: message, context: "setting \(key)")
            }
        }
        return conf
    }
}
