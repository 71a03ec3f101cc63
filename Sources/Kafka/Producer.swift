import CRdKafka

/// A producer that owns its librdkafka handle and counts delivery reports.
///
/// Not thread-safe: produce, poll and flush from one thread.
public final class Producer {
    private let handle: OpaquePointer
    private let state: CallbackState
    private var topics: [String: OpaquePointer] = [:]

    public init(configuration: KafkaConfiguration, onClientError: @escaping (String) -> Void = { _ in }) throws(KafkaError) {
        let conf = try configuration.makeHandle()
        state = CallbackState()
        state.clientError = onClientError
        KafkaCallbacks.install(on: conf, state: state, consumer: false)
        var errorText = [CChar](repeating: 0, count: 512)
        guard let handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, &errorText, errorText.count) else {
            rd_kafka_conf_destroy(conf)
            throw KafkaError(message: KafkaError.text(errorText), context: "creating a producer")
        }
        self.handle = handle
    }

    deinit {
        // Anything still queued gets a short chance to go out; delivery counts say what did not.
        _ = rd_kafka_flush(handle, 2000)
        for topic in topics.values { rd_kafka_topic_destroy(topic) }
        rd_kafka_destroy(handle)
    }

    /// Queues one message (copied); when the local queue is full, serves delivery reports until there is room.
    public func produce(topic: String, partition: Int32? = nil, key: [UInt8]?, value: [UInt8]) throws(KafkaError) {
        let topicHandle = try self.topic(topic)
        while true {
            let result = value.withUnsafeBytes { valueBytes in
                withOptionalBytes(key) { keyBytes in
                    rd_kafka_produce(
                        topicHandle, partition ?? recur_kafka_partition_ua, recur_kafka_msg_f_copy,
                        UnsafeMutableRawPointer(mutating: valueBytes.baseAddress), valueBytes.count,
                        keyBytes?.baseAddress, keyBytes?.count ?? 0, nil)
                }
            }
            if result == 0 { return }
            let error = KafkaError(rd_kafka_last_error(), context: "producing to \(topic)")
            guard error.isQueueFull else { throw error }
            rd_kafka_poll(handle, 10)
        }
    }

    /// Serves delivery reports for up to `timeout` seconds.
    public func poll(timeout: Double = 0) { rd_kafka_poll(handle, Int32(timeout * 1000)) }

    /// Waits until every queued message is delivered or failed; returns how many were still queued at the timeout.
    @discardableResult
    public func flush(timeout: Double) -> Int {
        _ = rd_kafka_flush(handle, Int32(timeout * 1000))
        return Int(rd_kafka_outq_len(handle))
    }

    /// Delivery reports so far.
    public var delivered: Int { state.deliveries.delivered }
    public var failed: Int { state.deliveries.failed }
    /// The first delivery failure's reason, if any failed.
    public var firstFailure: String? { state.deliveries.firstFailure }

    private func topic(_ name: String) throws(KafkaError) -> OpaquePointer {
        if let existing = topics[name] { return existing }
        guard let created = rd_kafka_topic_new(handle, name, nil) else {
            throw KafkaError(rd_kafka_last_error(), context: "opening topic \(name)")
        }
        topics[name] = created
        return created
    }
}

private func withOptionalBytes<R>(_ bytes: [UInt8]?, _ body: (UnsafeRawBufferPointer?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBytes { body($0) }
}
