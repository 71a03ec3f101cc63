import NIOCore
import NIOEmbedded
import Testing

@testable import RecurServer

/// The request deadline and the idle timeout, on an embedded channel whose clock the test moves.
struct ConnectionClockTests {
    /// Counts the idle events that reach the protocol handler.
    final class IdleEvents: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var seen = 0
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if event is IdleStateHandler.IdleStateEvent { seen += 1 }
        }
    }

    func connected(limit: TimeAmount = .seconds(10), idle: TimeAmount?) throws -> (EmbeddedChannel, IdleEvents) {
        let channel = EmbeddedChannel()
        let events = IdleEvents()
        try channel.pipeline.syncOperations.addHandler(
            ConnectionClock(limit: limit, idle: idle) { allocator in
                var out = allocator.buffer(capacity: 16)
                out.writeString("-TIMEOUT\r\n")
                return out
            })
        try channel.pipeline.syncOperations.addHandler(events)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return (channel, events)
    }

    func byte(_ channel: EmbeddedChannel) throws {
        var buffer = channel.allocator.buffer(capacity: 1)
        buffer.writeString("P")
        try channel.writeInbound(buffer)
    }

    func answer(_ channel: EmbeddedChannel) throws {
        var buffer = channel.allocator.buffer(capacity: 7)
        buffer.writeString("+PONG\r\n")
        try channel.writeOutbound(buffer)
        _ = try channel.readOutbound(as: ByteBuffer.self)
    }

    @Test func aConnectionWithNothingReadOrWrittenForTheIdleTimeGetsOneIdleEvent() throws {
        let (channel, events) = try connected(idle: .seconds(300))
        channel.embeddedEventLoop.advanceTime(by: .seconds(290))
        #expect(events.seen == 0)
        channel.embeddedEventLoop.advanceTime(by: .seconds(90))
        #expect(events.seen == 1)
        _ = try? channel.finish()
    }

    @Test func trafficKeepsAConnectionFromBeingIdle() throws {
        let (channel, events) = try connected(idle: .seconds(300))
        for _ in 0..<10 {
            channel.embeddedEventLoop.advanceTime(by: .seconds(100))
            try byte(channel)
            try answer(channel)
        }
        #expect(events.seen == 0)
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test func noIdleTimeoutMeansNoIdleEvent() throws {
        let (channel, events) = try connected(idle: nil)
        channel.embeddedEventLoop.advanceTime(by: .hours(10))
        #expect(events.seen == 0 && channel.isActive)
        _ = try? channel.finish()
    }

    @Test func aRequestStillArrivingAfterTheLimitIsAnsweredAndClosed() throws {
        let (channel, _) = try connected(limit: .seconds(10), idle: .seconds(300))
        try byte(channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(8))
        try byte(channel)  // more of the same request: the clock keeps running
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        let farewell = try channel.readOutbound(as: ByteBuffer.self)
        #expect(farewell.map { String(buffer: $0) } == "-TIMEOUT\r\n")
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive)
    }

    @Test func anAnswerStopsTheRequestClock() throws {
        let (channel, _) = try connected(limit: .seconds(10), idle: .seconds(300))
        for _ in 0..<5 {
            try byte(channel)
            channel.embeddedEventLoop.advanceTime(by: .seconds(8))
            try answer(channel)
        }
        channel.embeddedEventLoop.advanceTime(by: .seconds(20))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
