extension String {
    /// Text librdkafka hands back, which may be NULL (a closing consumer, a handle not in a group):
    /// `fallback` then, never a crash on an implicitly unwrapped pointer.
    init(kafkaText pointer: UnsafePointer<CChar>?, or fallback: String = "") {
        self = pointer.map { String(cString: $0) } ?? fallback
    }
}
