import Foundation
import RecurCore

/// Runs `recur demo`'s steps: this same binary as a child process per step, with the demo's
/// environment, so every step is exactly the command a user would type.
struct DemoSteps {
    let environment: [String: String]
    let executable = Bundle.main.executablePath ?? CommandLine.arguments[0]

    var modelsDirectory: String { environment["RECUR_MODELS_DIR"] ?? "models" }

    func header(_ text: String) { Self.say("\n== \(text)") }
    func note(_ text: String) { Self.say("   \(text)") }

    /// Writes a line to stdout at once (unbuffered), so it comes before what the next child prints.
    static func say(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    /// Runs `recur ARGS`, echoing the command; stdout (or stderr) is also returned when captured.
    @discardableResult
    func recur(_ arguments: [String], capture: Bool = false, captureErrors: Bool = false) throws -> String {
        Self.say("$ recur \(arguments.joined(separator: " "))")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        if capture { process.standardOutput = pipe } else if captureErrors { process.standardError = pipe }
        try process.run()
        // Passed on as it comes (progress bars included), and kept for the summary.
        var data = Data()
        if capture || captureErrors {
            let echo = capture ? FileHandle.standardOutput : FileHandle.standardError
            while case let chunk = pipe.fileHandleForReading.availableData, !chunk.isEmpty {
                echo.write(chunk)
                data.append(chunk)
            }
        }
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CLIError.failed("demo step `recur \(arguments.joined(separator: " "))` failed (exit \(process.terminationStatus)); its message is above")
        }
        return text
    }

    /// Starts `recur ARGS` in the background (the server), its output in the demo's log folder.
    func background(_ arguments: [String]) throws -> Process {
        Self.say("$ recur \(arguments.joined(separator: " ")) &")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let log = ((environment["RECUR_HOME"] ?? ".recur") as NSString).appendingPathComponent("demo/serve.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: log)
        try process.run()
        note("server log: \(log)")
        return process
    }

    /// Waits until the server accepts connections (it listens once its model is loaded), up to a minute.
    func waitForPort(_ port: Int, server: Process) throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? LineClient(host: "127.0.0.1", port: port)) != nil { return }
            guard server.isRunning else { throw CLIError.failed("recur serve exited (status \(server.terminationStatus)); see its log") }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw CLIError.failed("recur serve did not listen on port \(port) within 60 s; see its log")
    }

    func modelExists(_ version: String) -> Bool {
        FileManager.default.fileExists(atPath: (modelsDirectory as NSString).appendingPathComponent(version + "/model.json"))
    }

    /// The `count` users with the most events folded into their states: ones worth scoring.
    func sampleUsers(count: Int) throws -> [String] {
        let location = StoreLocation(
            databaseURL: environment["DATABASE_URL"].flatMap { $0.isEmpty ? nil : $0 }, home: environment["RECUR_HOME"], schema: environment["RECUR_SCHEMA"])
        let store = try Store.open(location, migrate: false)
        return try store.connection.query("SELECT user_id FROM user_features ORDER BY events_folded DESC, user_id LIMIT $1", [count]).rows.map {
            try $0.require(String.self, 0)
        }
    }

    /// Each model's ROC AUC and DeLong interval, as `recur models compare` wrote them.
    static func aucs(metricsFile: String) throws -> [(model: String, auc: Double, low: Double, high: Double)] {
        guard let data = FileManager.default.contents(atPath: metricsFile),
            let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let comparison = root["comparison"] as? [String: Any], let models = comparison["models"] as? [[String: Any]]
        else { throw CLIError.failed("cannot read \(metricsFile)") }
        return models.compactMap { model in
            guard let name = model["name"] as? String, let metrics = model["metrics"] as? [String: Any], let auc = metrics["roc_auc"] as? Double
            else { return nil }
            return (name, auc, model["auc_ci_low"] as? Double ?? .nan, model["auc_ci_high"] as? Double ?? .nan)
        }
    }

    /// One HTTP GET over a plain socket; returns the body.
    static func httpGet(port: Int, path: String) throws -> String {
        let client = try LineClient(host: "127.0.0.1", port: port)
        let response = try client.sendAndReadToClose("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        guard let split = response.range(of: "\r\n\r\n") else { return response }
        return String(response[split.upperBound...])
    }
}
