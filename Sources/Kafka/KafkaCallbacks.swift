import CRdKafka
import Foundation

// Every C callback Recur hands librdkafka lives in this file, with the state it reaches.
//
// librdkafka calls these functions from inside `rd_kafka_consumer_poll`, `rd_kafka_poll`,
// `rd_kafka_flush` and `rd_kafka_consumer_close`, on the thread that made that call, never from
// its own background threads (we set no background queue). The state object is reached through
// the handle's opaque pointer; the wrapper that owns the handle keeps the state alive until the
// handle is destroyed, so the unretained reference below is always valid while a callback runs.
// Counters that another thread may read are behind a lock.

/// What the callbacks of one handle reach: the consumer's rebalance hooks and the producer's delivery counts.
final class CallbackState: @unchecked Sendable {
    /// Chooses a start offset for each newly assigned partition, or nil to take none of them (shutting down).
    var assign: (([TopicPartition]) -> [StartOffset]?)?
    /// Told which partitions were taken away (and whether they were lost rather than handed over cleanly).
    var revoke: (([TopicPartition], Bool) -> Void)?
    /// Non-fatal client errors (a broker down, a timeout): librdkafka recovers by itself; we report them.
    var clientError: ((String) -> Void)?

    private let lock = NSLock()
    private var deliveredCount = 0
    private var failedCount = 0
    private var failureText: String?

    func recordDelivery(error: rd_kafka_resp_err_t) {
        lock.lock(); defer { lock.unlock() }
        if error == RD_KAFKA_RESP_ERR_NO_ERROR {
            deliveredCount += 1
        } else {
            failedCount += 1
            if failureText == nil { failureText = String(kafkaText: rd_kafka_err2str(error), or: "error \(error.rawValue)") }
        }
    }

    var deliveries: (delivered: Int, failed: Int, firstFailure: String?) {
        lock.lock(); defer { lock.unlock() }
        return (deliveredCount, failedCount, failureText)
    }

    var opaque: UnsafeMutableRawPointer { Unmanaged.passUnretained(self).toOpaque() }

    static func from(_ opaque: UnsafeMutableRawPointer?) -> CallbackState? {
        opaque.map { Unmanaged<CallbackState>.fromOpaque($0).takeUnretainedValue() }
    }
}

enum KafkaCallbacks {
    /// Installs the rebalance, error and delivery callbacks on a configuration, all reaching `state`.
    static func install(on conf: OpaquePointer, state: CallbackState, consumer: Bool) {
        rd_kafka_conf_set_opaque(conf, state.opaque)
        rd_kafka_conf_set_error_cb(conf) { _, code, reason, opaque in
            let text = String(kafkaText: reason, or: String(kafkaText: rd_kafka_err2str(rd_kafka_resp_err_t(code)), or: "error \(code)"))
            CallbackState.from(opaque)?.clientError?(text)
        }
        if consumer {
            rd_kafka_conf_set_rebalance_cb(conf) { handle, error, partitions, opaque in
                guard let handle, let partitions else { return }
                serveRebalance(handle: handle, error: error, partitions: partitions, state: CallbackState.from(opaque))
            }
        } else {
            rd_kafka_conf_set_dr_msg_cb(conf) { _, message, opaque in
                guard let message else { return }
                CallbackState.from(opaque)?.recordDelivery(error: message.pointee.err)
            }
        }
    }

}

/// Takes or gives up partitions as the group coordinator asks, for the eager and the cooperative protocol alike.
private func serveRebalance(
    handle: OpaquePointer, error: rd_kafka_resp_err_t,
    partitions: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>, state: CallbackState?
) {
    // NULL while the consumer closes or is not in a group: then it is no cooperative assignment.
    let cooperative = String(kafkaText: rd_kafka_rebalance_protocol(handle)) == "COOPERATIVE"
    let list = TopicPartition.from(partitions)
    switch error {
    case RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS:
        guard let offsets = state?.assign?(list), offsets.count == list.count else {
            // Nothing we could start from safely: take none, so no message is read without a stored offset.
            if !cooperative { _ = rd_kafka_assign(handle, nil) }
            return
        }
        for index in 0..<list.count { partitions.pointee.elems[index].offset = offsets[index].raw }
        if cooperative {
            if let failure = rd_kafka_incremental_assign(handle, partitions) { rd_kafka_error_destroy(failure) }
        } else {
            _ = rd_kafka_assign(handle, partitions)
        }
    case RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS:
        state?.revoke?(list, rd_kafka_assignment_lost(handle) != 0)
        if cooperative {
            if let failure = rd_kafka_incremental_unassign(handle, partitions) { rd_kafka_error_destroy(failure) }
        } else {
            _ = rd_kafka_assign(handle, nil)
        }
    default:
        state?.clientError?("rebalance failed: \(String(kafkaText: rd_kafka_err2str(error), or: "error \(error.rawValue)"))")
        state?.revoke?(list, true)
        _ = rd_kafka_assign(handle, nil)
    }
}
