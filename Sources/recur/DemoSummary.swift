/// The closing summary of `recur demo`: what was done, the figures the steps reported, where the outputs lie.
struct DemoSummary {
    var produced: String
    var streamed: String
    var folder: String
    var ranked: [(model: String, auc: Double, low: Double, high: Double)]
    var winner: String
    var scored: String
    var refresh: String
    var reused: [String]
    var home: String
    var schema: String
    var models: String
    var exports: String
    var port: Int

    /// The line of a command's output that starts with `prefix`, or a dash; progress bars redrawn
    /// with carriage returns and an erase-line code are read as the terminal shows them.
    private func line(_ text: String, _ prefix: String) -> String {
        let shown = text.split(separator: "\n").map { line -> String in
            var visible = String(line.split(separator: "\r", omittingEmptySubsequences: false).last ?? "")
            if visible.hasPrefix("\u{1B}[2K") { visible.removeFirst(4) }
            return visible
        }
        return shown.last { $0.hasPrefix(prefix) } ?? "-"
    }

    var text: String {
        var out = [String]()
        out.append("produce:  " + line(produced, "produced"))
        out.append("stream:   " + line(streamed, "stream: stopped"))
        out.append("folder:   " + line(folder, "stream: stopped"))
        out.append("models (ROC AUC on the same rows, DeLong 95% interval; the figures `recur models compare v1 v2 v3` wrote):")
        for entry in ranked {
            out.append(
                "          \(entry.model)  \(fixed(entry.auc))  [\(fixed(entry.low)), \(fixed(entry.high))]\(entry.model == winner ? "  ← promoted to production" : "")"
            )
        }
        if !reused.isEmpty {
            out.append("reused:   models \(reused.joined(separator: ", ")) from an earlier run; the stream counted the events it found stored as duplicates")
        }
        out.append("scores:   " + scored.split(separator: "\n").prefix(4).joined(separator: " | "))
        out.append("refresh:  " + (refresh.split(separator: "\n").last.map(String.init) ?? "-"))
        out.append("")
        out.append("where things are:")
        out.append("  PostgreSQL   embedded cluster in \(home), schema \(schema) (`RECUR_SCHEMA=\(schema) recur events stats`)")
        out.append("  models       \(models) (`RECUR_MODELS_DIR=\(models) recur models list`)")
        out.append("  comparison   \(exports)/compare-v1-v2-v3/report.html (and scores.csv, metrics.json, compare.ipynb)")
        out.append("  server log   \(home)/demo/serve.log")
        out.append("")
        out.append("try next:")
        out.append("  RECUR_SCHEMA=\(schema) RECUR_MODELS_DIR=\(models) recur serve --port \(port) --http-port \(port + 1) &")
        out.append("  redis-cli -p \(port) SCORE <user>      curl 127.0.0.1:\(port + 1)/v1/score/<user>")
        out.append("  RECUR_SCHEMA=\(schema) RECUR_MODELS_DIR=\(models) recur models compare v1 v2 --segments")
        out.append("  docs/streaming.md to run the stream against your own Kafka; docs/operations.md for your own PostgreSQL")
        return out.joined(separator: "\n")
    }

    private func fixed(_ value: Double) -> String { value.isFinite ? String(format: "%.4f", value) : "n/a" }
}
