import CRecurSystem
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// The server: binds the line protocol (and HTTP and metrics when asked), applies the limits, and hands each connection its handlers.
public final class ScoringServer: @unchecked Sendable {
    /// Where and how to listen.
    public struct Configuration: Sendable {
        public var host = "127.0.0.1"
        public var port = 7878
        public var threads = Configuration.defaultThreads
        public var maximumConnections = 1_024
        public var idleTimeout: TimeAmount = .seconds(300)
        /// How long one request may take to arrive, from its first byte to its last, on every port.
        public var requestTimeout: TimeAmount = .seconds(10)
        /// Scrapes are one request each: a handful of connections is plenty.
        public var maximumMetricsConnections = 16
        public var limits = FrameLimits()
        public var authToken: String?
        public var metricsPort: Int?
        /// The HTTP/JSON API's port, on the same host; nil: no HTTP.
        public var httpPort: Int?
        public var httpLimits = HTTPLimits()
        public init() {}

        /// One event loop per core but one, at least one. Recur runs beside PostgreSQL, the stream
        /// builder and often its callers; a loop on every core time-slices with them, and a sliced-out
        /// loop stalls every connection it holds. Measured on 2 cores beside redis-benchmark: p99 at
        /// -P 1 fell from 3.8 ms (two loops, 4.9× Redis's) to 0.78 ms (one loop, 1.0×), requests/s
        /// at -P 1 rose by a fifth and fell by a sixth at -P 16 (docs/benchmarks.md). A machine that
        /// serves only pipelined traffic can ask for `--threads` = cores.
        public static var defaultThreads: Int { max(1, System.coreCount - 1) }
    }

    public let configuration: Configuration
    public let service: ScoringService
    public let metrics = ServerMetrics()
    public let status: ServerStatus
    private let group: MultiThreadedEventLoopGroup
    private var channel: Channel?
    private var metricsChannel: Channel?
    private var httpChannel: Channel?
    private var trimmer: RepeatedTask?

    /// The live page's data, when the HTTP API serves it.
    public let feed: LiveFeed?

    public init(configuration: Configuration, service: ScoringService, feed: LiveFeed? = nil) {
        self.configuration = configuration
        self.service = service
        self.feed = feed
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.threads))
        status = ServerStatus(maximumConnections: configuration.maximumConnections, threads: max(1, configuration.threads))
    }

    /// Binds and starts accepting; returns the bound port (useful with port 0).
    @discardableResult
    public func start() throws -> Int {
        let configuration = self.configuration
        let service = self.service, metrics = self.metrics, status = self.status
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                guard let clientID = status.admit() else {
                    // As Redis words it, so client libraries raise their connection error.
                    let limit = configuration.maximumConnections
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionRefusal { $0.buffer(string: "-ERR max number of clients reached (--max-connections \(limit))\r\n") })
                    }
                }
                channel.closeFuture.whenComplete { _ in status.release() }
                let address = channel.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                let timeout = configuration.requestTimeout
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ConnectionClock(limit: timeout, idle: configuration.idleTimeout) { allocator in
                            var out = allocator.buffer(capacity: 96)
                            Reply.error(code: "TIMEOUT", message: "a request took longer than \(timeout.nanoseconds / 1_000_000_000)s to arrive; closing")
                                .write(.plain, into: &out)
                            return out
                        })
                    try channel.pipeline.syncOperations.addHandler(
                        CommandHandler(
                            service: service, metrics: metrics, status: status, authToken: configuration.authToken,
                            limits: configuration.limits, clientID: clientID, address: address))
                }
            }
        let bound = try Self.naming(configuration.host, configuration.port, "--port") {
            try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        }
        channel = bound
        status.port = bound.localAddress?.port ?? configuration.port
        if let port = configuration.httpPort {
            httpChannel = try Self.naming(configuration.host, port, "--http-port") {
                try HTTPEndpoint.bind(
                    group: group, host: configuration.host, port: port,
                    routes: HTTPRoutes(service: service, authToken: configuration.authToken, metrics: metrics, feed: feed),
                    limits: configuration.httpLimits, status: status, idleTimeout: configuration.idleTimeout, requestTimeout: configuration.requestTimeout)
            }
        }
        if let port = configuration.metricsPort {
            metricsChannel = try Self.naming("127.0.0.1", port, "--metrics-port") {
                try MetricsEndpoint.bind(
                    group: group, host: "127.0.0.1", port: port, maximumConnections: configuration.maximumMetricsConnections,
                    idleTimeout: configuration.idleTimeout, requestTimeout: configuration.requestTimeout
                ) { metrics.render(service: service, status: status) }
            }
        }
        // Half-sent requests of closed connections stay in malloc's arenas otherwise (measured: 151 MB
        // grew to 173 MB over three rounds of slow clients); trimmed once closes have happened.
        let lastClosed = NIOLockedValueBox(0)
        trimmer = group.next().scheduleRepeatedTask(initialDelay: .seconds(10), delay: .seconds(10)) { _ in
            let closed = status.connectionsClosed
            let moved = lastClosed.withLockedValue { last in
                defer { last = closed }
                return last != closed
            }
            guard moved else { return }
            recur_release_free_memory()
        }
        return bound.localAddress?.port ?? configuration.port
    }

    public var metricsPort: Int? { metricsChannel?.localAddress?.port }
    public var httpPort: Int? { httpChannel?.localAddress?.port }

    /// Stops accepting, lets open connections finish what they were sent, then stops the threads.
    public func shutdown() {
        trimmer?.cancel()
        try? channel?.close().wait()
        try? metricsChannel?.close().wait()
        try? httpChannel?.close().wait()
        try? group.syncShutdownGracefully()
    }

    /// Blocks until the listening socket is closed.
    public func wait() throws { try channel?.closeFuture.wait() }

    /// NIO's bind error names the system call, not the port: a busy port is told as such, with its option.
    static func naming(_ host: String, _ port: Int, _ option: String, _ bind: () throws -> Channel) throws -> Channel {
        do {
            return try bind()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            throw ServerError.portInUse(host: host, port: port, option: option)
        }
    }
}

/// A tiny HTTP responder for Prometheus scrapes: any request gets the current metrics.
public enum MetricsEndpoint {
    public static func bind(
        group: EventLoopGroup, host: String, port: Int, maximumConnections: Int = 16, idleTimeout: TimeAmount = .seconds(300),
        requestTimeout: TimeAmount = .seconds(10), render: @escaping @Sendable () -> String
    ) throws -> Channel {
        let status = ServerStatus(maximumConnections: maximumConnections, threads: 1)
        return try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                guard status.admit() != nil else {
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionRefusal { HTTPAnswer.farewell(.serviceUnavailable, "MAX_CONNECTIONS", "too many connections to the metrics port", $0) })
                    }
                }
                channel.closeFuture.whenComplete { _ in status.release() }
                return channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        ConnectionClock(limit: requestTimeout, idle: idleTimeout) {
                            HTTPAnswer.farewell(.requestTimeout, "TIMEOUT", "the request took too long to arrive", $0)
                        })
                    try sync.addHandler(MetricsResponder(render: render))
                }
            }
            .bind(host: host, port: port).wait()
    }

    final class MetricsResponder: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        let render: @Sendable () -> String
        private var seen = [UInt8]()
        init(render: @escaping @Sendable () -> String) { self.render = render }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            seen += buffer.readBytes(length: buffer.readableBytes) ?? []
            guard seen.count > 8192 || seen.suffix(4) == [13, 10, 13, 10] || seen.suffix(2) == [10, 10] else { return }
            let body = render()
            var out = context.channel.allocator.buffer(capacity: body.utf8.count + 128)
            out.writeString("HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n")
            out.writeString(body)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
