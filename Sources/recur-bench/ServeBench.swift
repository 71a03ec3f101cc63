import ArgumentParser
import Dispatch
import Logging
import NIOCore
import RecurCore
import RecurServer

/// Times the serving hot path without sockets: frame pipelined SCORE requests, score each against the
/// online features loaded from `user_features`, write the replies. What is left of a request's cost
/// under redis-benchmark is the kernel's.
struct ServeBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Parse, score and reply in-process (one core).")

    @Option(help: "Model version or alias.") var model = "production"
    @Option(help: "Requests per timed run.") var requests = 1_000_000
    @Option(help: "Requests per read, as with redis-benchmark -P.") var pipeline = 16
    @Option(help: "Timed repetitions; the median is reported.") var runs = 5

    func run() throws {
        let service = try ScoringService(registry: ModelRegistry(), modelReference: model, catalog: .builtin)
        let loaded = try FeatureSync(service: service, location: StoreLocation(), logger: Logger(label: "bench")).loadAll()
        // redis-benchmark's -r: 12-digit zero-padded numbers below the user count.
        var random = SeededRandom(seed: 5)
        let batches = (0..<1_024).map { _ -> ByteBuffer in
            var buffer = ByteBuffer()
            for _ in 0..<pipeline {
                let digits = String(random.below(loaded))
                let user = String(repeating: "0", count: max(0, 12 - digits.count)) + digits
                buffer.writeString("*2\r\n$5\r\nSCORE\r\n$\(user.utf8.count)\r\n\(user)\r\n")
            }
            return buffer
        }
        let parser = FrameParser()
        var rates = [Double]()
        var replyBytes = 0
        for _ in 0..<runs {
            var out = ByteBuffer()
            out.reserveCapacity(64 * pipeline)
            let started = DispatchTime.now().uptimeNanoseconds
            var done = 0, batch = 0
            while done < requests {
                var input = batches[batch & 1_023]
                batch += 1
                out.clear()
                while case .request(let request, let consumed) = input.withUnsafeReadableBytes({ parser.parse($0) }) {
                    input.moveReaderIndex(forwardBy: consumed)
                    Reply.score(try service.score(request.words[1])).write(resp: request.resp, into: &out)
                    done += 1
                }
                replyBytes &+= out.readableBytes
            }
            rates.append(Double(done) / (Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9))
        }
        let median = rates.sorted()[rates.count / 2]
        print(
            "serve path: \(loaded) users, pipeline \(pipeline), median of \(runs) runs: \(Int(median)) requests/s "
                + "(\(String(format: "%.2f", 1e6 / median)) µs each, one core; \(replyBytes / (runs * requests)) reply bytes per request)")
    }
}
