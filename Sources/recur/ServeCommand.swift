import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import RecurCore
import RecurServer

/// `recur serve`: scores over TCP, Redis-compatible framing.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve scores over TCP (plain lines, or RESP so redis-cli and Redis clients work) and, with --http-port, HTTP/JSON (see docs/protocol.md).",
        discussion: """
            Features are held in memory, loaded from user_features and kept fresh by LISTEN/NOTIFY with a periodic \
            catch-up. Promoting the alias is picked up without a restart; SIGHUP reloads at once; SIGINT/SIGTERM drain and stop.
            """
    )

    @OptionGroup var store: StoreOptions
    @Option(help: "Address to bind; anything but loopback requires --auth-token-file.") var host = "127.0.0.1"
    @Option(help: "TCP port.") var port = 7878
    @Option(
        name: .customLong("cluster-config"),
        help: ArgumentHelp(
            "Serve as a Redis Cluster node: a file of `host:port first-last[,first-last…] [http=PORT]` lines, the same on every node; this node holds only its slots' users.",
            valueName: "file"))
    var clusterConfig: String?
    @Option(help: "Model version or alias to serve.") var model = "production"
    @Option(name: .customLong("models-dir"), help: "Models folder (default: $RECUR_MODELS_DIR or ./models).") var modelsDir: String?
    @OptionGroup var features: FeatureSetOptions
    @Option(name: .customLong("http-port"), help: "Also serve the HTTP/JSON API on this port (same host and token).") var httpPort: Int?
    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics on 127.0.0.1:PORT.") var metricsPort: Int?
    @Option(name: .customLong("auth-token-file"), help: "File whose first line is the token clients must AUTH with.") var authTokenFile: String?
    @Option(name: .customLong("max-connections"), help: "Connections served at once.") var maxConnections = 1_024
    @Option(name: .customLong("idle-timeout"), help: "Close connections idle this long, e.g. 300s.") var idleTimeout = DurationArgument(.seconds(300))
    @Option(
        name: .customLong("request-timeout"),
        help: "Close a connection whose request has been arriving this long, from its first byte to its last (every port), e.g. 10s.")
    var requestTimeout = DurationArgument(.seconds(10))
    @Option(name: .customLong("max-line-length"), help: "Longest request line or bulk string, in bytes.") var maxLineLength = 65_536
    @Option(
        name: .customLong("log-sample"),
        help: ArgumentHelp(
            "Log this share of answers (user, time, model, features, score) to served_log for `recur monitor consistency`, e.g. 0.01 or 1%.",
            valueName: "rate"))
    var logSample: SampleRate?
    @Option(help: "Event loop threads (default: one per core but one, leaving a core to PostgreSQL and callers).")
    var threads = ScoringServer.Configuration.defaultThreads

    func validate() throws {
        guard requestTimeout.isPositive else { throw ValidationError("--request-timeout must be longer than 0") }
    }

    func run() throws {
        var logger = Logger(label: "recur.serve")
        logger.logLevel = .info
        var config = ScoringServer.Configuration()
        config.host = host
        config.port = port
        config.threads = threads
        config.maximumConnections = maxConnections
        config.metricsPort = metricsPort
        config.httpPort = httpPort
        config.limits.maximumLineLength = maxLineLength
        config.limits.maximumBulkLength = maxLineLength
        config.idleTimeout = .microseconds(idleTimeout.span.microseconds)
        config.requestTimeout = .microseconds(requestTimeout.span.microseconds)
        if let authTokenFile {
            guard let text = try? String(contentsOfFile: authTokenFile, encoding: .utf8),
                let token = text.split(whereSeparator: \.isNewline).first.map({ $0.trimmingCharacters(in: .whitespaces) }), !token.isEmpty
            else {
                throw CLIError.usage(ServerError.unreadableToken(authTokenFile).description)
            }
            config.authToken = token
        } else if !["127.0.0.1", "::1", "localhost"].contains(host) {
            throw CLIError.usage(ServerError.authRequired(host).description)
        }
        var cluster: ClusterLayout?
        if let clusterConfig {
            guard let text = try? String(contentsOfFile: clusterConfig, encoding: .utf8) else {
                throw CLIError.usage("cannot read --cluster-config \(clusterConfig)")
            }
            do { cluster = try ClusterLayout(text: text, path: clusterConfig, host: host, port: port) } catch { throw CLIError.usage(error.description) }
        }
        let registry = ModelRegistry(directory: modelsDir)
        let service: ScoringService
        do {
            service = try ScoringService(registry: registry, modelReference: model, catalog: try features.catalog(), cluster: cluster)
        } catch {
            throw CLIError.failed("cannot serve model \(model): \(error)")
        }
        let servedLog = logSample.map { ServedLog(rate: $0.value, location: store.location, logger: logger) }
        service.servedLog = servedLog
        let sync = FeatureSync(service: service, location: store.location, logger: logger)
        let watcher = ModelWatcher(service: service, logger: logger)
        // Listening first: until the features are loaded, scoring commands answer LOADING and
        // STATS, INFO and /readyz show the progress, as Redis does while it loads.
        // The live page (/ui) reads its analytics on a thread of its own, once the users are loaded.
        let feed = config.httpPort == nil ? nil : LiveFeed(service: service, location: store.location, logger: logger)
        let server = ScoringServer(configuration: config, service: service, feed: feed)
        let drift = DriftGauges(location: store.location, logger: logger)
        server.metrics.drift = drift
        let bound = try server.start()
        logger.info(
            "loading features",
            metadata: [
                "address": "\(host):\(bound)", "model": "\(service.model.version)", "feature_set": "\(service.set.reference)",
                "http_port": "\(server.httpPort.map(String.init) ?? "off")", "metrics_port": "\(server.metricsPort.map(String.init) ?? "off")"
            ])

        signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN); signal(SIGHUP, SIG_IGN)
        let signals = [SIGINT, SIGTERM].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
        for source in signals {
            source.setEventHandler {
                // The load only reads: stopping part-way loses nothing.
                guard service.isReady else { logger.info("stopping while loading"); Foundation.exit(0) }
                logger.info("stopping: finishing requests in flight")
                sync.stop(); watcher.stop(); feed?.stop(); servedLog?.stop(); drift.stop()
                server.shutdown()
            }
            source.resume()
        }
        let loadStarted = Date()
        let loaded: Int
        do { loaded = try sync.loadAll() } catch {
            server.shutdown()
            throw CLIError.database("\(error)", location: store.location.displayName)
        }
        sync.start()
        watcher.start()
        feed?.start()
        servedLog?.start()
        drift.start()
        logger.info(
            "serving",
            metadata: [
                "address": "\(host):\(bound)", "model": "\(service.model.version)", "users": "\(loaded)",
                "load_seconds": "\(String(format: "%.1f", Date().timeIntervalSince(loadStarted)))"
            ])
        let hangup = DispatchSource.makeSignalSource(signal: SIGHUP, queue: .global())
        hangup.setEventHandler { watcher.reload() }
        hangup.resume()
        try server.wait()
        withExtendedLifetime((signals, hangup)) {}
    }
}
