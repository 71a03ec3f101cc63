import CRdKafka

/// librdkafka's in-process mock cluster: speaks the Kafka protocol on loopback for as long as this object lives.
///
/// Any Kafka client (kcat, confluent-kafka, Recur itself in another process) can use `bootstrapServers`.
/// Each mock partition keeps only about 5 MiB: spread large loads over many partitions or compress them.
// librdkafka hands every mock call to the cluster's own thread, so calls from any thread are safe.
public final class MockCluster: @unchecked Sendable {
    /// The handle that owns the cluster; librdkafka requires one, and it must outlive the cluster.
    private let owner: OpaquePointer
    private let cluster: OpaquePointer
    /// `host:port,host:port,…` of the mock brokers.
    public let bootstrapServers: String

    public init(brokers: Int = 3) throws(KafkaError) {
        guard let conf = rd_kafka_conf_new() else { throw KafkaError(message: "librdkafka could not allocate a configuration") }
        var errorText = [CChar](repeating: 0, count: 512)
        // The owner never connects anywhere; silence its "no bootstrap.servers" notice.
        _ = rd_kafka_conf_set(conf, "log_level", "3", &errorText, errorText.count)
        guard let owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(message: KafkaError.text(errorText), context: "creating the mock cluster's owner")
        }
        guard let cluster = rd_kafka_mock_cluster_new(owner, Int32(brokers)) else {
            rd_kafka_destroy(owner)
            throw KafkaError(message: "librdkafka could not start a mock cluster", context: "starting the mock cluster")
        }
        self.owner = owner
        self.cluster = cluster
        bootstrapServers = String(kafkaText: rd_kafka_mock_cluster_bootstraps(cluster))
    }

    deinit {
        // The cluster first: destroying its owner first aborts the process.
        rd_kafka_mock_cluster_destroy(cluster)
        rd_kafka_destroy(owner)
    }

    /// Creates a topic with this many partitions (topics named by clients are also created on first use).
    public func createTopic(_ name: String, partitions: Int, replicationFactor: Int = 1) throws(KafkaError) {
        let result = rd_kafka_mock_topic_create(cluster, name, Int32(partitions), Int32(replicationFactor))
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, context: "creating topic \(name)") }
    }

    /// Takes a broker down (it drops its connections and refuses new ones) or brings it back; ids start at 1, -1 is every broker.
    public func setBroker(_ id: Int32, up: Bool) throws(KafkaError) {
        let result = up ? rd_kafka_mock_broker_set_up(cluster, id) : rd_kafka_mock_broker_set_down(cluster, id)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, context: "setting broker \(id) \(up ? "up" : "down")") }
    }

    /// The protocol requests a fault can be injected into.
    public enum Request: String, Sendable, CaseIterable {
        case produce, fetch, metadata, commit, heartbeat

        var apiKey: Int16 {
            switch self {
            case .produce: 0
            case .fetch: 1
            case .metadata: 3
            case .commit: 8
            case .heartbeat: 12
            }
        }
    }

    /// Makes the next `count` requests of this kind fail by dropping the client's connection, as a broker that goes away does.
    public func fail(_ request: Request, count: Int) {
        let errors = [rd_kafka_resp_err_t](repeating: RD_KAFKA_RESP_ERR__TRANSPORT, count: count)
        errors.withUnsafeBufferPointer { rd_kafka_mock_push_request_errors_array(cluster, request.apiKey, count, $0.baseAddress) }
    }
}
