import Foundation

/// One micro-batch, decoded and ready to commit: events in arrival order, refused records, and its fence.
struct StreamBatch {
    /// What makes the batch safe to commit exactly once.
    enum Fence {
        /// Kafka: each partition's stored offset must still be `start`; it becomes `next`.
        case offsets(topic: String, group: String, partitions: [PartitionRange])
        /// A watched folder's file: loaded only if its checksum is not recorded yet.
        case file(StreamFile)
    }

    struct PartitionRange {
        var partition: Int32
        /// The offset stored when the batch began (-2: the partition's beginning).
        var start: Int64
        var next: Int64
    }

    /// `kafka:TOPIC` or the file's path, as `rejected_events.source`.
    var source: String
    var fence: Fence
    var events: [Event] = []
    var rejected: [EventLoader.RejectedRow] = []
    /// Records the batch was made from, rejected ones included.
    var records = 0
}

/// A file of the watched folder, identified by its content.
public struct StreamFile: Sendable, Equatable {
    public var name: String
    public var size: Int64
    public var sha256: String
}

/// What one commit did.
public struct StreamCommitResult: Sendable {
    public var inserted = 0
    public var duplicates = 0
    public var late = 0
    public var rejected = 0
    public var users = 0
    public var repairsQueued = 0
    public var newestEvent: Timestamp?
    public var seconds = 0.0
    /// When the transaction committed (not when the builder took note of it), for sustained rates.
    public var committedAt = Date()
}

/// How a commit ended.
enum StreamCommitOutcome {
    case committed(StreamCommitResult)
    /// A stored offset moved since the batch began: another builder owns the partition now. Nothing was written.
    case fenced
    /// The file's content was loaded before. Nothing was written.
    case alreadyLoaded
}

/// Why the stream stopped or refused work.
public enum StreamError: Error, CustomStringConvertible {
    case stateConflict(users: Int)
    case noTopic
    case folderMissing(String)
    case kafka(String)

    public var description: String {
        switch self {
        case .stateConflict(let users):
            "\(users) users' feature states kept changing under the stream (another writer is busy with them); the batch was not committed and will be retried"
        case .noTopic: "no topic: give --topic T (with --brokers B or $KAFKA_BROKERS), or --dir FOLDER"
        case .folderMissing(let path): "watched folder \(path) does not exist or is not a folder"
        case .kafka(let message): message
        }
    }
}
