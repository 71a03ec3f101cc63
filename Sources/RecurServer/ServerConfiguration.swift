/// Where and how `recur serve` listens; loopback unless told otherwise.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int = 7878) {
        self.host = host
        self.port = port
    }
}
