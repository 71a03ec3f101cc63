import CRdKafka

/// One partition of one topic.
public struct TopicPartition: Hashable, Sendable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)[\(partition)]" }
}

/// Where a consumer starts reading a partition.
public enum StartOffset: Sendable, Equatable {
    case beginning
    case end
    case offset(Int64)

    var raw: Int64 {
        switch self {
        case .beginning: recur_kafka_offset_beginning
        case .end: recur_kafka_offset_end
        case .offset(let value): value
        }
    }
}

extension TopicPartition {
    /// Copies the partitions out of a list that librdkafka owns.
    static func from(_ list: UnsafeMutablePointer<rd_kafka_topic_partition_list_t>) -> [TopicPartition] {
        let count = Int(list.pointee.cnt)
        guard count > 0, let elements = list.pointee.elems else { return [] }
        return (0..<count).map { TopicPartition(topic: String(kafkaText: elements[$0].topic), partition: elements[$0].partition) }
    }
}
