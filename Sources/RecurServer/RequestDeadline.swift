import NIOCore

/// Closes a connection whose request has been arriving for longer than `limit`: the first byte read
/// after an answer starts the clock, the next answer stops it. A client that sends one byte every
/// few seconds (headers, a bulk string, a body) never finishes a request, so it cannot hold a
/// connection, nor the memory of its half-sent request, for longer than the limit. Idle connections
/// (nothing owed, nothing arriving) are the idle timeout's business.
///
/// One check per connection every quarter of the limit; reads cost a flag test, answers a store.
final class RequestDeadline: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let limit: TimeAmount
    /// What the client gets before the close, in its protocol's words.
    private let farewell: @Sendable (ByteBufferAllocator) -> ByteBuffer
    private var startedAt: NIODeadline?
    private var check: RepeatedTask?

    init(limit: TimeAmount, farewell: @escaping @Sendable (ByteBufferAllocator) -> ByteBuffer) {
        self.limit = limit
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
        let every = TimeAmount.nanoseconds(max(limit.nanoseconds / 4, 1_000_000))
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        check = context.eventLoop.scheduleRepeatedTask(initialDelay: every, delay: every) { _ in
            let (handler, context) = loopBound.value
            handler.expireIfLate(context)
        }
    }

    private func expireIfLate(_ context: ChannelHandlerContext) {
        guard let startedAt, NIODeadline.now() - startedAt >= limit else { return }
        self.startedAt = nil
        check?.cancel()
        check = nil
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(farewell(channel.allocator))).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if startedAt == nil { startedAt = .now() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        startedAt = nil
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        check?.cancel()
        check = nil
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
