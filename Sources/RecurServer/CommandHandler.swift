import Dispatch
import Foundation
import NIOCore
import RecurCore

/// Frames requests out of the byte stream, runs each against the scoring service and writes the
/// replies in request order, one flush per read.
///
/// Framing lives here rather than in a ByteToMessageHandler in front: handing each request down the
/// pipeline as its own message cost a dynamic cast and a metadata lookup per request, measured as
/// about a tenth of the serving time under pipelining.
final class CommandHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let service: ScoringService
    private let metrics: ServerMetrics
    private let authToken: String?
    private let parser: FrameParser
    /// Bytes of a request that has not fully arrived; never more than `maximumBuffered`.
    private var unparsed: ByteBuffer?
    private let maximumBuffered: Int
    /// After QUIT or a framing error nothing more is read: input is dropped until the close.
    private var stopped = false
    private var authenticated: Bool
    private var pending: ByteBuffer?
    private var closeAfterFlush = false
    private var tally = RequestTally()
    /// The served model as this connection last saw it, and the swap count it was read at.
    private var model: ScoringService.ServedModel
    private var modelSwaps: Int

    init(service: ScoringService, metrics: ServerMetrics, authToken: String?, limits: FrameLimits) {
        self.service = service
        self.metrics = metrics
        self.authToken = authToken
        parser = FrameParser(limits: limits)
        maximumBuffered = 2 * max(limits.maximumLineLength, limits.maximumBulkLength) + 1024
        authenticated = authToken == nil
        modelSwaps = service.modelSwaps
        model = service.model
    }

    private var servedModel: ScoringService.ServedModel {
        let swaps = service.modelSwaps
        if swaps != modelSwaps { (model, modelSwaps) = (service.model, swaps) }
        return model
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !stopped else { return }
        var input = unwrapInboundIn(data)
        if var earlier = unparsed {
            unparsed = nil
            earlier.discardReadBytes()
            earlier.writeBuffer(&input)
            input = earlier
        }
        // Room for a pipeline of 16 replies without growing.
        var out = pending ?? context.channel.allocator.buffer(capacity: 1_024)
        // Let go of the stored copy first, so that writing into `out` does not copy the buffer.
        pending = nil
        parsing: while input.readableBytes > 0 && !stopped {
            switch input.withUnsafeReadableBytes({ parser.parse($0) }) {
            case .incomplete:
                break parsing
            case .request(let request, let consumed):
                input.moveReaderIndex(forwardBy: consumed)
                let started = DispatchTime.now().uptimeNanoseconds
                let (name, reply) = execute(request)
                reply.write(resp: request.resp, into: &out)
                tally.record(name, nanoseconds: DispatchTime.now().uptimeNanoseconds - started)
                if name == .quit { stop() }
            case .invalid(let error, let consumed):
                let parts = error.message.split(separator: " ", maxSplits: 1).map(String.init)
                Reply.error(code: parts[0], message: parts.count > 1 ? parts[1] : "").write(resp: error.resp, into: &out)
                tally.record(.invalid, nanoseconds: 0)
                if error.fatal { stop() } else { input.moveReaderIndex(forwardBy: consumed) }
            }
        }
        if !stopped && input.readableBytes > maximumBuffered {
            let resp = input.readableBytesView.first == UInt8(ascii: "*")
            Reply.error(code: "TOO_LARGE", message: "request exceeds \(maximumBuffered) bytes").write(resp: resp, into: &out)
            tally.record(.invalid, nanoseconds: 0)
            stop()
        }
        if !stopped && input.readableBytes > 0 { unparsed = input }
        pending = out
    }

    /// Nothing more is read from this connection; it closes once the replies so far are written.
    private func stop() {
        stopped = true
        closeAfterFlush = true
        unparsed = nil
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        metrics.add(&tally)
        if let out = pending, out.readableBytes > 0 {
            pending = nil
            if closeAfterFlush {
                let channel = context.channel
                context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                context.writeAndFlush(wrapOutboundOut(out), promise: nil)
            }
        } else if closeAfterFlush {
            context.close(promise: nil)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        // A client that does not read its replies stops being read: its memory use stays bounded.
        _ = context.channel.setOption(ChannelOptions.autoRead, value: context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            var out = context.channel.allocator.buffer(capacity: 64)
            Reply.error(code: "IDLE", message: "closing an idle connection").write(resp: false, into: &out)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(out)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }

    /// The command's metric name and its reply.
    func execute(_ request: Request) -> (MeteredCommand, Reply) {
        guard let first = request.words.first else { return (.empty, .error(code: "EMPTY", message: "empty request")) }
        // Clients mostly send upper case: skip the allocation of upper-casing then.
        let command = first.utf8.allSatisfy({ $0 < 97 || $0 > 122 }) ? first : first.uppercased()
        let args = request.words.dropFirst()
        if !authenticated && command != "AUTH" && command != "PING" && command != "QUIT" {
            return (.noauth, .error(code: "NOAUTH", message: "authentication required: AUTH token"))
        }
        do {
            switch command {
            case "PING":
                return (.ping, args.isEmpty ? .simple("PONG") : .text(args.joined(separator: " ")))
            case "SCORE":
                guard let user = args.first else { return (.score, usage("SCORE user [MODEL version] [AT time]")) }
                let (model, at) = try options(args.dropFirst())
                return (.score, .score(model == nil ? service.score(user, with: servedModel, at: at) : try service.score(user, model: model, at: at)))
            case "MSCORE":
                guard !args.isEmpty else { return (.mscore, usage("MSCORE user [user ...]")) }
                guard args.count <= 1_000 else { return (.mscore, .error(code: "TOO_MANY", message: "at most 1000 users per MSCORE")) }
                let current = servedModel
                return (.mscore, .scores(args.map { service.score($0, with: current) }))
            case "FEATURES":
                guard let user = args.first else { return (.features, usage("FEATURES user [AT time]")) }
                let (_, at) = try options(args.dropFirst())
                let (values, cold) = service.features(of: user, at: at)
                var fields = zip(service.set.featureNames, values).map { "\"\($0)\":\($1.isFinite ? String($1) : "null")" }
                if cold { fields.append("\"cold\":true") }
                return (.features, .text("{" + fields.joined(separator: ",") + "}"))
            case "EXPLAIN":
                guard let user = args.first else { return (.explain, usage("EXPLAIN user")) }
                let top = try service.explain(user)
                return (.explain, .list(top.map { "\($0.feature)=\(String(format: "%+.4f", $0.contribution))" }))
            case "MODELS":
                let aliases = (try? service.registry.aliases()) ?? [:]
                let versions = (try? service.registry.list().map(\.version)) ?? []
                return (.models, .list(["serving=\(service.model.version)"] + aliases.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + versions))
            case "STATS":
                let fresh = service.freshness
                let text = "{\"users\":\(service.userCount),\"model\":\"\(service.model.version)\",\"feature_set\":\"\(service.set.reference)\","
                    + "\"uptime_s\":\(Int(service.uptime)),\"feature_update_age_s\":\(fresh.updateAge.isFinite ? String(format: "%.1f", fresh.updateAge) : "null"),"
                    + "\"catch_up_age_s\":\(String(format: "%.1f", fresh.catchUpAge)),\"requests\":\(metrics.total)}"
                return (.stats, .text(text))
            case "AUTH":
                guard let token = args.first, args.count == 1 else { return (.auth, usage("AUTH token")) }
                guard let expected = authToken else { return (.auth, .error(code: "AUTH", message: "no token is configured on this server")) }
                guard Self.constantTimeEqual(token, expected) else { return (.auth, .error(code: "AUTH", message: "wrong token")) }
                authenticated = true
                return (.auth, .simple("OK"))
            case "QUIT":
                return (.quit, .simple("OK"))
            default:
                return (.unknown, .error(code: "UNKNOWN_COMMAND", message: "\(first.prefix(40)); try PING, SCORE, MSCORE, FEATURES, EXPLAIN, MODELS, STATS, AUTH, QUIT"))
            }
        } catch let error as RequestError {
            return (MeteredCommand(command: command) ?? .unknown, .error(code: error.code, message: error.message))
        } catch {
            return (MeteredCommand(command: command) ?? .unknown, .error(code: "FAILED", message: "\(error)"))
        }
    }

    private func usage(_ text: String) -> Reply { .error(code: "SYNTAX", message: "usage: \(text)") }

    private func options(_ args: ArraySlice<String>) throws -> (String?, Timestamp?) {
        var model: String?, at: Timestamp?
        var index = args.startIndex
        while index < args.endIndex {
            let key = args[index].uppercased()
            guard index + 1 < args.endIndex else { throw RequestError(code: "SYNTAX", message: "\(key) needs a value") }
            let value = args[index + 1]
            switch key {
            case "MODEL": model = value
            case "AT":
                guard let time = DateText.parse(value) else { throw RequestError(code: "BAD_TIME", message: "AT \(value.prefix(40)) is not a time") }
                at = time
            default: throw RequestError(code: "SYNTAX", message: "unknown option \(key.prefix(20)); expected MODEL or AT")
            }
            index += 2
        }
        return (model, at)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}

/// A request that is well framed but cannot be answered.
struct RequestError: Error {
    var code: String
    var message: String
}
