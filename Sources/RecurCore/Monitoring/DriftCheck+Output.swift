import Foundation

extension DriftCheck.Report {
    /// `{"model", "feature_set", "reference_rows", "current_rows", "current", "score": {…}, "features": [{"name", "psi", …}]}`.
    public var json: String {
        var json = JSONWriter(capacity: 8_192)
        func write(_ drift: Drift) {
            json.beginObject()
            json.field("name", drift.name)
            json.field("psi", drift.psi)
            json.field("test", drift.test.rawValue)
            json.field("statistic", drift.statistic)
            json.key("p_value")
            if let p = drift.pValue { json.number(p) } else { json.null() }
            json.field("drifted", drift.drifted)
            json.field("reference_count", drift.referenceCount)
            json.field("current_count", drift.currentCount)
            json.endObject()
        }
        json.beginObject()
        json.field("model", model)
        json.field("feature_set", featureSet)
        json.field("reference_rows", referenceRows)
        json.field("current_rows", currentRows)
        json.field("current", currentSource)
        json.key("score")
        write(score)
        json.key("features")
        json.beginArray()
        for drift in features { write(drift) }
        json.endArray()
        json.endObject()
        return String(decoding: json.bytes, as: UTF8.self)
    }

    /// Ranked lines for a terminal.
    public var text: String {
        var out = "model \(model) (\(featureSet)): \(referenceRows) training rows against \(currentRows) rows of \(currentSource)\n"
        out += "score: PSI \(Self.format(score.psi)), \(score.test.rawValue) \(Self.format(score.statistic))\(score.drifted ? "  DRIFTED" : "")\n"
        out += "feature                            PSI    test         statistic  p\n"
        for drift in features {
            out += drift.name.padding(toLength: 32, withPad: " ", startingAt: 0) + " "
            out += Self.format(drift.psi).leftPadded(7) + "  " + drift.test.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)
            out += Self.format(drift.statistic).leftPadded(10) + "  " + (drift.pValue.map(Self.format) ?? "–")
            out += drift.drifted ? "  DRIFTED\n" : "\n"
        }
        return out
    }

    static func format(_ value: Double) -> String { value.isFinite ? String(format: "%.4f", value) : "∞" }

    /// A page that reads on a phone and a desk: the ranking, with PSI drawn as bars.
    public var html: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
        }
        let largest = max(0.25, (features.map(\.psi) + [score.psi]).filter(\.isFinite).max() ?? 0.25)
        var rows = ""
        for drift in [score] + features {
            let width = Int((min(drift.psi, largest) / largest * 100).rounded())
            rows += """
                <tr\(drift.drifted ? " class=\"drifted\"" : "")><td>\(escape(drift.name))</td><td>\(Self.format(drift.psi))</td>\
                <td><div class="bar" style="width:\(width)%"></div></td><td>\(drift.test.rawValue)</td><td>\(Self.format(drift.statistic))</td>\
                <td>\(drift.pValue.map(Self.format) ?? "–")</td><td>\(drift.drifted ? "yes" : "")</td></tr>\n
                """
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Drift of \(escape(model))</title>
            <style>
            body { font: 14px/1.4 system-ui, sans-serif; margin: 16px; color: #1d2330; }
            .scroll { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
            th, td { padding: 3px 8px; border-bottom: 1px solid #e3e6ec; text-align: right; white-space: nowrap; }
            th:first-child, td:first-child { text-align: left; } td:nth-child(3) { width: 30%; min-width: 80px; }
            .bar { height: 10px; background: #7aa6d8; } tr.drifted .bar { background: #c8575a; } tr.drifted td:first-child { font-weight: 600; }
            </style></head><body>
            <h1>Drift of model \(escape(model))</h1>
            <p>\(referenceRows) training rows of \(escape(featureSet)) against \(currentRows) rows of \(escape(currentSource)).
            PSI over the training rows' deciles (0.1: moved, 0.25: moved a lot); the test is Evidently's default for numbers:
            Kolmogorov–Smirnov up to 1,000 values (drifted when p &lt; 0.05), else the Wasserstein distance in training standard
            deviations (drifted from 0.1). Ranked by PSI; the score first.</p>
            <div class="scroll"><table><thead><tr><th>column</th><th>PSI</th><th></th><th>test</th><th>statistic</th><th>p</th><th>drifted</th></tr></thead>
            <tbody>
            \(rows)</tbody></table></div>
            </body></html>

            """
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
