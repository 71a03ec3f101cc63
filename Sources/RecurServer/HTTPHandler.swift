import Dispatch
import NIOCore
import NIOHTTP1
import NIOPosix

/// Limits that keep one HTTP client from holding more than a few kilobytes per connection.
public struct HTTPLimits: Sendable {
    public var maximumHeaderBytes = 16 * 1024
    public var maximumHeaderFields = 100
    public var maximumBodyBytes = 1024 * 1024
    public init() {}
}

/// Collects one request (head and a bounded body), answers it from `HTTPRoutes`, and keeps the
/// connection open when the client asked for keep-alive. NIO's HTTP/1.1 decoder frames the bytes;
/// each request is answered as soon as it ends, into one buffer written once per read, so
/// answers to pipelined requests leave in order and together.
final class HTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer

    private let routes: HTTPRoutes
    private let limits: HTTPLimits
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// A body past the limit: answered with 413 at once; the rest is dropped until the connection closes.
    private var oversized = false
    /// Answers written since the last flush.
    private var pending: ByteBuffer?
    private var closeAfterFlush = false
    private var authFailures = 0
    /// Requests answered since the last read completed, added into the server's metrics then.
    private var tally = RequestTally()

    init(routes: HTTPRoutes, limits: HTTPLimits) {
        self.routes = routes
        self.limits = limits
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closeAfterFlush else { return }
        switch unwrapInboundIn(data) {
        case .head(let request):
            head = request
            body.removeAll(keepingCapacity: true)
            oversized = false
            if let length = request.headers.first(name: "content-length").flatMap(Int.init), length > limits.maximumBodyBytes {
                refuseBody(context)
            } else if request.headers.first(name: "expect")?.lowercased() == "100-continue" {
                // curl sends this before a body over 1 KB and waits a second for it otherwise.
                owe(context) { $0.writeStaticString(request.version.minor == 0 ? "HTTP/1.0 100 Continue\r\n\r\n" : "HTTP/1.1 100 Continue\r\n\r\n") }
            }
        case .body(var chunk):
            guard !oversized else { return }
            if body.count + chunk.readableBytes > limits.maximumBodyBytes {
                refuseBody(context)
            } else {
                body += chunk.readBytes(length: chunk.readableBytes) ?? []
            }
        case .end:
            guard let request = head, !oversized else { return }
            head = nil
            let started = DispatchTime.now().uptimeNanoseconds
            let answer = routes.answer(
                HTTPRequest(
                    method: request.method, uri: request.uri,
                    authorization: request.headers.first(name: "authorization"), body: body))
            tally.record(
                HTTPRoutes.meteredCommand(request.method, HTTPTarget(request.uri).segments), nanoseconds: DispatchTime.now().uptimeNanoseconds - started,
                protocol: .http, ok: answer.status.code < 400)
            // A wrong token (401 with a token sent) counts; a few per connection, then it is closed.
            if answer.status == .unauthorized && request.headers.contains(name: "authorization") { authFailures += 1 }
            respond(context, request, answer, keepAlive: request.isKeepAlive && authFailures < CommandHandler.maximumAuthFailures)
        }
    }

    /// Answers 413 at once, without waiting for (or keeping) the rest of the body, and closes.
    private func refuseBody(_ context: ChannelHandlerContext) {
        guard let request = head, !oversized else { return }
        oversized = true
        body = []
        respond(context, request, .error(.payloadTooLarge, "TOO_LARGE", "the body exceeds \(limits.maximumBodyBytes) bytes"), keepAlive: false)
    }

    private func respond(_ context: ChannelHandlerContext, _ request: HTTPRequestHead, _ answer: HTTPAnswer, keepAlive: Bool) {
        owe(context, capacity: 256 + answer.body.count) {
            answer.write(version: request.version, keepAlive: keepAlive, headOnly: request.method == .HEAD, into: &$0)
        }
        if !keepAlive { closeAfterFlush = true }
    }

    /// Adds to the answers owed since the last flush (taken out first, so that writing into the
    /// buffer does not copy it).
    private func owe(_ context: ChannelHandlerContext, capacity: Int = 256, _ write: (inout ByteBuffer) -> Void) {
        var out = pending ?? context.channel.allocator.buffer(capacity: capacity)
        pending = nil
        write(&out)
        pending = out
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        routes.metrics?.add(&tally)
        flush(context)
        context.fireChannelReadComplete()
    }

    private func flush(_ context: ChannelHandlerContext) {
        let answers = pending
        pending = nil
        context.flushAnswers(answers, thenClose: closeAfterFlush)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A client that does not read its answers stops being read.
        _ = context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) } else { context.fireUserInboundEventTriggered(event) }
    }

    /// A stream the decoder cannot frame gets 400 (431 for headers past the limits), after the
    /// answers already owed, and is closed: the decoder closes the connection once this returns.
    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if let parserError = error as? HTTPParserError, !closeAfterFlush {
            let answer: HTTPAnswer =
                parserError == .headerOverflow
                ? .error(
                    .requestHeaderFieldsTooLarge, "TOO_LARGE",
                    "the request's headers exceed \(limits.maximumHeaderBytes) bytes or \(limits.maximumHeaderFields) fields")
                : .error(.badRequest, "BAD_REQUEST", "the request is not HTTP/1.1 (\(parserError))")
            owe(context) { answer.write(version: .http1_1, keepAlive: false, headOnly: false, into: &$0) }
        }
        closeAfterFlush = true
        flush(context)
    }
}

/// Binds the HTTP API: NIO's HTTP/1.1 request decoder with bounded headers, then `HTTPHandler`.
enum HTTPEndpoint {
    static func bind(
        group: EventLoopGroup, host: String, port: Int, routes: HTTPRoutes, limits: HTTPLimits,
        status: ServerStatus, idleTimeout: TimeAmount, requestTimeout: TimeAmount = .seconds(10)
    ) throws -> Channel {
        try ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 256)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 256 * 1024))
            .childChannelInitializer { channel in
                // HTTP connections count against the same --max-connections as the line protocol.
                guard status.admit() != nil else {
                    let limit = status.maximumConnections
                    return channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ConnectionRefusal {
                                HTTPAnswer.farewell(.serviceUnavailable, "MAX_CONNECTIONS", "too many connections (--max-connections \(limit))", $0)
                            })
                    }
                }
                channel.closeFuture.whenComplete { _ in status.release() }
                return channel.eventLoop.makeCompletedFuture {
                    var decoderLimits = NIOHTTPDecoderLimitConfiguration()
                    decoderLimits.maxHeaderListSize = limits.maximumHeaderBytes
                    decoderLimits.maxHeaderFieldSize = limits.maximumHeaderBytes
                    decoderLimits.maxHeaderFieldCount = limits.maximumHeaderFields
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(
                        ConnectionClock(limit: requestTimeout, idle: idleTimeout) {
                            HTTPAnswer.farewell(
                                .requestTimeout, "TIMEOUT", "the request took longer than \(requestTimeout.nanoseconds / 1_000_000_000)s to arrive", $0)
                        })
                    // Every request is answered before the next is read (routes answer synchronously), so
                    // pipelined answers are in order without NIO's pipelining handler; answers are
                    // written by `HTTPAnswer` itself, so there is no response encoder either.
                    try sync.addHandler(
                        ByteToMessageHandler(
                            HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, informationalResponseStrategy: .drop, limitConfiguration: decoderLimits)))
                    try sync.addHandler(HTTPHandler(routes: routes, limits: limits))
                }
            }
            .bind(host: host, port: port).wait()
    }
}
