import CRdKafka

/// An error from librdkafka or from the broker, with librdkafka's error code when there is one.
public struct KafkaError: Error, CustomStringConvertible, Sendable {
    /// librdkafka's `rd_kafka_resp_err_t` value (negative for client-side errors), or nil for configuration errors.
    public let code: Int32?
    public let message: String
    /// What Recur was doing, e.g. "producing to topic events".
    public let context: String?

    public init(code: Int32? = nil, message: String, context: String? = nil) {
        self.code = code
        self.message = message
        self.context = context
    }

    init(_ error: rd_kafka_resp_err_t, context: String? = nil) {
        self.init(code: error.rawValue, message: String(kafkaText: rd_kafka_err2str(error), or: "error \(error.rawValue)"), context: context)
    }

    /// The text librdkafka wrote into an error buffer.
    static func text(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The producer's local queue is full: serve delivery reports and try again.
    public var isQueueFull: Bool { code == RD_KAFKA_RESP_ERR__QUEUE_FULL.rawValue }

    public var description: String {
        var text = "Kafka: \(message)"
        if let context { text += " while \(context)" }
        return text
    }
}

/// Facts about the linked librdkafka.
public enum KafkaLibrary {
    /// librdkafka's version string, e.g. "2.0.2".
    public static var version: String { String(kafkaText: rd_kafka_version_str(), or: "unknown") }
}
