import CRdKafka

/// A consumer-group member that owns its librdkafka handle; offsets are the caller's, never auto-committed.
///
/// On each assignment `onAssign` says where every partition starts (Recur reads them from PostgreSQL);
/// `onRevoke` hears which partitions went away. Both run inside `poll` on the polling thread.
/// Not thread-safe: poll, seek and commit from one thread.
public final class Consumer {
    private let handle: OpaquePointer
    private let state: CallbackState
    private var closed = false
    private var topicNames: [OpaquePointer: String] = [:]

    public init(
        configuration: KafkaConfiguration, group: String,
        onAssign: @escaping ([TopicPartition]) -> [StartOffset]?,
        onRevoke: @escaping ([TopicPartition], _ lost: Bool) -> Void,
        onClientError: @escaping (String) -> Void = { _ in }
    ) throws(KafkaError) {
        var configuration = configuration
        configuration.set("group.id", group)
        // Offsets live in PostgreSQL beside the rows they produced; Kafka's own are advisory only.
        configuration.set("enable.auto.commit", "false")
        configuration.set("enable.auto.offset.store", "false")
        if configuration["auto.offset.reset"] == nil { configuration.set("auto.offset.reset", "earliest") }
        let conf = try configuration.makeHandle()
        state = CallbackState()
        state.assign = onAssign
        state.revoke = onRevoke
        state.clientError = onClientError
        KafkaCallbacks.install(on: conf, state: state, consumer: true)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_CONSUMER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(message: KafkaError.text(errorText), context: "creating a consumer")
        }
        self.handle = handle
        rd_kafka_poll_set_consumer(handle)
    }

    deinit {
        close()
        rd_kafka_destroy(handle)
    }

    /// Joins the group for these topics; assignments arrive through `poll`.
    public func subscribe(_ topics: [String]) throws(KafkaError) {
        guard let list = rd_kafka_topic_partition_list_new(Int32(topics.count)) else {
            throw KafkaError(message: "could not allocate a topic list")
        }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        for topic in topics { rd_kafka_topic_partition_list_add(list, topic, recur_kafka_partition_ua) }
        let result = rd_kafka_subscribe(handle, list)
        guard result == RD_KAFKA_RESP_ERR_NO_ERROR else { throw KafkaError(result, context: "subscribing to \(topics.joined(separator: ","))") }
    }

    /// The next message, or nil when none arrived within `timeout` seconds. Serves rebalance callbacks.
    /// Throws for a message-level error (an unknown topic, say); the consumer stays usable.
    public func poll(timeout: Double) throws(KafkaError) -> KafkaMessage? {
        guard let message = rd_kafka_consumer_poll(handle, Int32(max(0, timeout * 1000))) else { return nil }
        defer { rd_kafka_message_destroy(message) }
        let m = message.pointee
        if m.err != RD_KAFKA_RESP_ERR_NO_ERROR {
            if m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF { return nil }
            let detail = m.payload.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: m.len), as: UTF8.self) }
            throw KafkaError(
                code: m.err.rawValue, message: detail ?? String(kafkaText: rd_kafka_err2str(m.err), or: "error \(m.err.rawValue)"), context: "consuming")
        }
        var type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE
        let time = rd_kafka_message_timestamp(message, &type)
        return KafkaMessage(
            topic: topicName(m.rkt),
            partition: m.partition,
            offset: m.offset,
            key: m.key.map { Array(UnsafeRawBufferPointer(start: $0, count: m.key_len)) },
            value: m.payload.map { Array(UnsafeRawBufferPointer(start: $0, count: m.len)) },
            timestampMilliseconds: type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE ? nil : time)
    }

    private func topicName(_ topic: OpaquePointer?) -> String {
        guard let topic else { return "" }
        if let name = topicNames[topic] { return name }
        let name = String(kafkaText: rd_kafka_topic_name(topic))
        topicNames[topic] = name
        return name
    }

    /// Moves the read position of assigned partitions, e.g. back to the offset PostgreSQL holds.
    public func seek(_ offsets: [TopicPartition: StartOffset], timeout: Double = 5) throws(KafkaError) {
        guard !offsets.isEmpty else { return }
        let list = try Self.list(offsets.mapValues(\.raw))
        defer { rd_kafka_topic_partition_list_destroy(list) }
        if let failure = rd_kafka_seek_partitions(handle, list, Int32(timeout * 1000)) {
            let error = KafkaError(message: String(kafkaText: rd_kafka_error_string(failure), or: "seek failed"), context: "seeking")
            rd_kafka_error_destroy(failure)
            throw error
        }
    }

    /// Tells Kafka how far PostgreSQL has committed (advisory: for lag tools; Recur never reads it back).
    public func commitAdvisory(_ offsets: [TopicPartition: Int64]) {
        guard !offsets.isEmpty, let list = try? Self.list(offsets) else { return }
        defer { rd_kafka_topic_partition_list_destroy(list) }
        _ = rd_kafka_commit(handle, list, 1)
    }

    /// The partition's high watermark (the next offset to be written) as last seen by the fetcher.
    public func highWatermark(_ partition: TopicPartition) -> Int64? {
        var low: Int64 = -1, high: Int64 = -1
        let result = rd_kafka_get_watermark_offsets(handle, partition.topic, partition.partition, &low, &high)
        return result == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? high : nil
    }

    /// The partition's low and high watermarks asked of the broker (blocking up to `timeout` seconds);
    /// nil when the broker does not answer in time.
    public func queryWatermarks(_ partition: TopicPartition, timeout: Double = 5) -> (low: Int64, high: Int64)? {
        var low: Int64 = -1, high: Int64 = -1
        let result = rd_kafka_query_watermark_offsets(handle, partition.topic, partition.partition, &low, &high, Int32(timeout * 1000))
        return result == RD_KAFKA_RESP_ERR_NO_ERROR && high >= 0 ? (low, high) : nil
    }

    /// The partitions of a topic, asked of the broker (blocking up to `timeout` seconds); nil when the
    /// broker does not answer in time or does not know the topic.
    public func partitions(of topic: String, timeout: Double = 5) -> [TopicPartition]? {
        guard let handleForTopic = rd_kafka_topic_new(handle, topic, nil) else { return nil }
        defer { rd_kafka_topic_destroy(handleForTopic) }
        var metadata: UnsafePointer<rd_kafka_metadata>?
        guard rd_kafka_metadata(handle, 0, handleForTopic, &metadata, Int32(timeout * 1000)) == RD_KAFKA_RESP_ERR_NO_ERROR, let metadata else {
            return nil
        }
        defer { rd_kafka_metadata_destroy(metadata) }
        let topics = UnsafeBufferPointer(start: metadata.pointee.topics, count: Int(metadata.pointee.topic_cnt))
        guard let entry = topics.first(where: { String(kafkaText: $0.topic) == topic }), entry.err == RD_KAFKA_RESP_ERR_NO_ERROR, entry.partition_cnt > 0
        else { return nil }
        return UnsafeBufferPointer(start: entry.partitions, count: Int(entry.partition_cnt)).map { TopicPartition(topic: topic, partition: $0.id) }
    }

    /// A fatal client error (the consumer cannot go on), if one was raised.
    public var fatalError: KafkaError? {
        var errorText = [CChar](repeating: 0, count: 512)
        let code = rd_kafka_fatal_error(handle, &errorText, errorText.count)
        return code == RD_KAFKA_RESP_ERR_NO_ERROR ? nil : KafkaError(code: code.rawValue, message: KafkaError.text(errorText))
    }

    /// Leaves the group (serving the final revoke). Called by deinit if not before.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = rd_kafka_consumer_close(handle)
    }

    static func list(_ offsets: [TopicPartition: Int64]) throws(KafkaError) -> UnsafeMutablePointer<rd_kafka_topic_partition_list_t> {
        guard let list = rd_kafka_topic_partition_list_new(Int32(offsets.count)) else {
            throw KafkaError(message: "could not allocate a partition list")
        }
        for (partition, offset) in offsets {
            rd_kafka_topic_partition_list_add(list, partition.topic, partition.partition)?.pointee.offset = offset
        }
        return list
    }
}
