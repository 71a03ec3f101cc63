import NIOCore

/// A connection's two clocks, in one handler on every port:
///
/// - **The request deadline** closes a connection whose request has been arriving for longer than
///   `limit`: the first byte read after an answer starts the clock, the next answer stops it. A client
///   that sends one byte every few seconds (headers, a bulk string, a body) never finishes a request,
///   so it cannot hold a connection, nor the memory of its half-sent request, for longer than the limit.
/// - **The idle timeout** sends `IdleStateHandler.IdleStateEvent.all` down the pipeline (whose handler
///   says goodbye in its protocol and closes) once nothing was read or written for `idle`.
///
/// NIO's `IdleStateHandler` made a promise and a callback for every write to stamp its completion
/// (about a tenth of the instructions of a `PING`); here a read costs a flag test and a store, a write
/// a store, and one timer per connection reads the clock a few times per limit.
final class ConnectionClock: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limit: TimeAmount
    private let idle: TimeAmount?
    /// What the client gets before the close, in its protocol's words.
    private let farewell: @Sendable (ByteBufferAllocator) -> ByteBuffer
    private var startedAt: NIODeadline?
    /// Anything read or written since the timer last looked; the timer keeps when it last saw it so.
    private var active = true
    private var lastActive = NIODeadline.uptimeNanoseconds(0)
    private var check: RepeatedTask?

    /// `idle` nil: no idle timeout.
    init(limit: TimeAmount, idle: TimeAmount?, farewell: @escaping @Sendable (ByteBufferAllocator) -> ByteBuffer) {
        self.limit = limit
        self.idle = idle.flatMap { $0.nanoseconds > 0 ? $0 : nil }
        self.farewell = farewell
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    private func start(_ context: ChannelHandlerContext) {
        guard check == nil else { return }
        // A quarter of the shorter clock: each fires at most a quarter late.
        let shortest = min(limit.nanoseconds, idle?.nanoseconds ?? .max)
        let every = TimeAmount.nanoseconds(max(shortest / 4, 1_000_000))
        lastActive = context.eventLoop.now
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            let (handler, context) = loopBound.value
            handler.tick(context)
        }
    }

    private func tick(_ context: ChannelHandlerContext) {
        let now = context.eventLoop.now
        if let startedAt, now - startedAt >= limit {
            stop()
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(farewell(channel.allocator))).whenComplete { _ in channel.close(promise: nil) }
            return
        }
        if active {
            active = false
            lastActive = now
        } else if let idle, now - lastActive >= idle {
            lastActive = now
            context.fireUserInboundEventTriggered(IdleStateHandler.IdleStateEvent.all)
        }
    }

    private func stop() {
        startedAt = nil
        check?.cancel()
        check = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if startedAt == nil { startedAt = context.eventLoop.now }
        active = true
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        startedAt = nil
        active = true
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        stop()
        context.fireChannelInactive()
    }
}

/// Answers a connection over `--max-connections` with one error in its protocol, then closes it:
/// never left open without a word, which held file descriptors in CLOSE-WAIT.
final class ConnectionRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let message: @Sendable (ByteBufferAllocator) -> ByteBuffer

    init(_ message: @escaping @Sendable (ByteBufferAllocator) -> ByteBuffer) { self.message = message }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) { refuse(context) }

    private func refuse(_ context: ChannelHandlerContext) {
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(message(channel.allocator))).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
    func errorCaught(context: ChannelHandlerContext, error: Error) { context.close(promise: nil) }
}
