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

    let service: ScoringService
    let metrics: ServerMetrics
    let status: ServerStatus
    let authToken: String?
    private let parser: FrameParser
    /// Bytes of a request that has not fully arrived; never more than `maximumBuffered`.
    private var unparsed: ByteBuffer?
    private let maximumBuffered: Int
    /// After QUIT or a framing error nothing more is read: input is dropped until the close.
    private var stopped = false
    var session: ClientSession
    private var pending: ByteBuffer?
    private var closeAfterFlush = false
    var tally = RequestTally()
    private var authFailures = 0
    static let maximumAuthFailures = 5
    /// Inside EXEC: every queued command scores with the model read when EXEC began.
    var modelPinned = false
    /// The served model as this connection last saw it, and the swap count it was read at.
    private var model: ScoringService.ServedModel
    private var modelSwaps: Int

    init(
        service: ScoringService, metrics: ServerMetrics, status: ServerStatus, authToken: String?, limits: FrameLimits,
        clientID: Int, address: String
    ) {
        self.service = service
        self.metrics = metrics
        self.status = status
        self.authToken = authToken
        parser = FrameParser(limits: limits)
        maximumBuffered = 2 * max(limits.maximumLineLength, limits.maximumBulkLength) + 1024
        session = ClientSession(id: clientID, address: address, authenticated: authToken == nil)
        modelSwaps = service.modelSwaps
        model = service.model
    }

    var servedModel: ScoringService.ServedModel {
        let swaps = service.modelSwaps
        if swaps != modelSwaps && !modelPinned { (model, modelSwaps) = (service.model, swaps) }
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
        // Each request's time runs from the end of the one before it (or the read): one clock
        // read per request instead of two, which under pipelining was 4% of the serving time.
        var clock = DispatchTime.now().uptimeNanoseconds
        parsing: while input.readableBytes > 0 && !stopped {
            switch input.withUnsafeReadableBytes({ parser.parse($0) }) {
            case .incomplete:
                break parsing
            case .request(let request, let consumed):
                input.moveReaderIndex(forwardBy: consumed)
                // An empty line or `*0`: Redis ignores it without a reply (redis-cli --pipe sends a CRLF).
                if request.words.isEmpty {
                    tally.record(.empty, nanoseconds: 0, protocol: request.resp ? .resp : .plain)
                    continue parsing
                }
                var (name, reply) = execute(request)
                if case .error(let code, _) = reply, code == "WRONGPASS" {
                    metrics.authFailed()
                    authFailures += 1
                    // A guesser gets a few tries per connection, then reconnects: each costs a handshake.
                    // The last try's own answer says so; nothing is answered that was not asked.
                    if authFailures >= Self.maximumAuthFailures {
                        reply = .error(code: "WRONGPASS", message: "too many wrong tokens on this connection; closing")
                        stop()
                    }
                }
                reply.write(session.encoding(for: request), into: &out)
                let now = DispatchTime.now().uptimeNanoseconds
                tally.record(name, nanoseconds: now - clock, protocol: request.resp ? .resp : .plain, ok: !reply.isError)
                clock = now
                if name == .quit { stop() }
            case .invalid(let error, let consumed):
                let parts = error.message.split(separator: " ", maxSplits: 1).map(String.init)
                Reply.error(code: parts[0], message: parts.count > 1 ? parts[1] : "").write(
                    error.resp ? session.encoding(for: Request(words: [], resp: true)) : .plain, into: &out)
                tally.record(.invalid, nanoseconds: 0, protocol: error.resp ? .resp : .plain, ok: false)
                if error.fatal { stop() } else { input.moveReaderIndex(forwardBy: consumed) }
            }
        }
        if !stopped && input.readableBytes > maximumBuffered {
            let resp = input.readableBytesView.first == UInt8(ascii: "*")
            Reply.error(code: "TOO_LARGE", message: "request exceeds \(maximumBuffered) bytes").write(resp: resp, into: &out)
            tally.record(.invalid, nanoseconds: 0, protocol: resp ? .resp : .plain, ok: false)
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
        let answers = pending
        pending = nil
        context.flushAnswers(answers, thenClose: closeAfterFlush)
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

    /// The commands that answer from users' features, refused with LOADING until they are loaded.
    static let readsFeatures: [String: MeteredCommand] = ["SCORE": .score, "MSCORE": .mscore, "FEATURES": .features, "EXPLAIN": .explain, "PREDICT": .predict]

    /// The command's metric name and its reply.
    func execute(_ request: Request) -> (MeteredCommand, Reply) {
        guard let first = request.words.first else { return (.empty, .error(code: "EMPTY", message: "empty request")) }
        // Clients mostly send upper case: skip the allocation of upper-casing then. The test runs
        // over the contiguous bytes: a generic walk of `utf8` cost about 170 instructions a request.
        var name = first
        let upper = name.withUTF8 { bytes in !bytes.contains { $0 >= 97 && $0 <= 122 } }
        let command = upper ? first : first.uppercased()
        let args = request.words.dropFirst()
        if !session.authenticated && !Self.allowedBeforeAuth.contains(command) {
            return (.noauth, .error(code: "NOAUTH", message: "authentication required: AUTH token (or HELLO 3 AUTH default token)"))
        }
        if let binary = request.binary {
            guard command == "ECHO", binary.count == 2 else { return (.invalid, .error(code: "BAD_ENCODING", message: "request is not UTF-8")) }
            return (.echo, .bytes(binary[1]))
        }
        if let queued = queueInTransaction(request, command: command) { return queued }
        if let moved = redirection(command, args) { return (Self.readsFeatures[command] ?? .unknown, moved) }
        if !service.isReady, let metric = Self.readsFeatures[command] {
            // Never a cold or partial answer while the first load runs.
            return (metric, .error(code: "LOADING", message: service.loadingMessage))
        }
        do {
            switch command {
            case "SCORE": return (.score, try score(args))
            case "MSCORE": return (.mscore, try multiScore(args))
            case "FEATURES": return (.features, try features(args, encoding: session.encoding(for: request)))
            case "EXPLAIN":
                guard let user = args.first, args.count == 1 else { return (.explain, usage("EXPLAIN user")) }
                let top = try service.explain(user)
                return (.explain, .list(top.map { "\($0.feature)=\(String(format: "%+.4f", $0.contribution))" }))
            case "PREDICT": return (.predict, try predict(args, encoding: session.encoding(for: request)))
            case "MODELS": return (.models, models())
            case "STATS": return (.stats, stats(encoding: session.encoding(for: request)))
            case "PING": return (.ping, args.isEmpty ? .simple("PONG") : .text(args.joined(separator: " ")))
            case "ECHO":
                guard let message = args.first, args.count == 1 else { return (.echo, usage("ECHO message")) }
                return (.echo, .text(message))
            case "AUTH": return (.auth, auth(args))
            case "HELLO": return (.hello, hello(args))
            case "CLIENT": return (.client, client(args))
            case "SELECT": return (.select, select(args))
            case "RESET": return (.reset, reset())
            case "INFO": return (.info, info(args))
            case "COMMAND": return (.command, commandInfo(args))
            case "CONFIG": return (.config, config(args))
            case "MULTI": return (.multi, multi())
            case "EXEC": return (.exec, exec())
            case "DISCARD": return (.discard, discard())
            case "WATCH": return (.watch, watch(args))
            case "UNWATCH": return (.watch, .simple("OK"))
            case "QUIT": return (.quit, .simple("OK"))
            case "CLUSTER": return (.cluster, cluster(args))
            case "READONLY", "READWRITE":
                session.readOnly = command == "READONLY"
                return (.cluster, .simple("OK"))
            case "ASKING": return (.cluster, .simple("OK"))
            default:
                return (.unknown, .error(code: "UNKNOWN_COMMAND", message: "\(first.prefix(40)); this server answers \(CommandCatalog.names)"))
            }
        } catch let error as RequestError {
            return (MeteredCommand(command: command) ?? .unknown, .error(code: error.code, message: error.message))
        } catch {
            return (MeteredCommand(command: command) ?? .unknown, .error(code: "FAILED", message: "\(error)"))
        }
    }

    /// What a client may send before it authenticates: the handshake, and PING for health checks.
    private static let allowedBeforeAuth: Set<String> = ["AUTH", "HELLO", "PING", "QUIT", "RESET"]

    func usage(_ text: String) -> Reply { .error(code: "SYNTAX", message: "usage: \(text)") }
}

/// A request that is well framed but cannot be answered.
struct RequestError: Error {
    var code: String
    var message: String
}
