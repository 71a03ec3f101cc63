import CRdKafka

/// Facts about the linked librdkafka.
public enum KafkaLibrary {
    /// librdkafka's version string, e.g. "2.0.2".
    public static var version: String { String(cString: rd_kafka_version_str()) }
}
