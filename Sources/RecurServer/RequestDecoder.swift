import NIOCore

/// What the decoder hands the command handler: a request, or a request that could not be read.
public enum Frame: Sendable, Equatable {
    case request(Request)
    case invalid(FramingError)
}

/// NIO adapter over `FrameParser`; it never buffers more than one maximum-length request.
public struct RequestDecoder: ByteToMessageDecoder {
    public typealias InboundOut = Frame
    let parser: FrameParser
    private var closed = false

    public init(limits: FrameLimits) { parser = FrameParser(limits: limits) }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard !closed else {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        let outcome = buffer.withUnsafeReadableBytes { parser.parse($0) }
        switch outcome {
        case .incomplete:
            return .needMoreData
        case .request(let request, let consumed):
            buffer.moveReaderIndex(forwardBy: consumed)
            context.fireChannelRead(Self.wrapInboundOut(.request(request)))
            return .continue
        case .invalid(let error, let consumed):
            if error.fatal {
                // The stream cannot be framed any more: drop everything and let the handler close.
                closed = true
                buffer.moveReaderIndex(to: buffer.writerIndex)
            } else {
                buffer.moveReaderIndex(forwardBy: consumed)
            }
            context.fireChannelRead(Self.wrapInboundOut(.invalid(error)))
            return closed ? .needMoreData : .continue
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }
}
