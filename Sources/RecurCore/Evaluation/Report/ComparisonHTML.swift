import Foundation

/// report.html: one self-contained page (inline SVG and CSS, no scripts, no network) that prints well.
struct ComparisonHTML {
    let report: ComparisonReport
    let set: EvaluationSet

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#111827;max-width:1100px;margin:24px auto;padding:0 20px}
        h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
        .sub{color:#4b5563;margin:0 0 14px}.verdict{background:#f3f4f6;border-left:4px solid #2563eb;padding:8px 12px;margin:10px 0}
        .verdict p{margin:3px 0}.better{color:#15803d;font-weight:600}.worse{color:#b91c1c;font-weight:600}.same{color:#374151;font-weight:600}
        table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:6px 0}th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}
        td{white-space:nowrap}th:first-child,td:first-child{text-align:left;white-space:normal;min-width:9em}thead th{background:#f9fafb;border-bottom:2px solid #d1d5db}td.sub1{padding-left:24px;color:#4b5563}
        .grid{display:grid;grid-template-columns:repeat(2,1fr);gap:14px}.grid svg,.wide svg{width:100%;height:auto;border:1px solid #e5e7eb;border-radius:4px;background:#fff}
        svg .t{font:600 13px system-ui,sans-serif;fill:#111827}svg .k{font:10.5px system-ui,sans-serif;fill:#4b5563}svg .a{font:11.5px system-ui,sans-serif;fill:#374151}
        svg .l{font:11px system-ui,sans-serif;fill:#111827}svg .g{stroke:#f3f4f6}svg .f{fill:none;stroke:#9ca3af}svg .r{stroke:#9ca3af;stroke-dasharray:2 3}
        .note{color:#6b7280;font-size:12.5px}code{font:12.5px ui-monospace,Menlo,monospace;background:#f3f4f6;padding:1px 4px;border-radius:3px}
        .scroll{overflow-x:auto;max-width:100%}.flag{color:#b45309;font-weight:600}
        @media (max-width:700px){body{padding:0 10px}.grid{grid-template-columns:1fr}}
        @media print{body{margin:0;max-width:none}.grid{gap:8px}h2{break-after:avoid}svg,table{break-inside:avoid}}
        """

    static func e(_ text: String) -> String { SVGChart.escape(text) }

    /// A table that scrolls inside its own box on a narrow screen instead of widening the page.
    static func scroll(_ table: String) -> String { "<div class=\"scroll\">\(table)</div>" }

    /// Below these, a segment is flagged as small.
    static let smallSegmentRows = 500, smallSegmentClass = 50

    var html: String {
        let names = report.models.map(\.name)
        var page = "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
        page += "<title>Recur · \(Self.e(names.joined(separator: " vs ")))</title><style>\(Self.style)</style></head><body>"
        let v = report.provenance
        page += "<h1>Model comparison: \(Self.e(names.joined(separator: " vs ")))</h1>"
        page +=
            "<p class=\"sub\">Evaluated at cutoff <b>\(Self.e(v.cutoff))</b>, horizon <b>\(Self.e(v.horizon))</b>, population <b>\(Self.e(v.population))</b>: "
        page +=
            "\(v.rows) rows, \(v.positives) positive (base rate \(ComparisonTable.f(report.comparison.baseRate))). Baseline: <b>\(Self.e(names[0]))</b>.</p>"
        page += verdict
        if !v.overlaps.isEmpty {
            page +=
                "<div class=\"verdict\" style=\"border-color:#b91c1c\"><p><b>Compared with --allow-overlap:</b> "
                + v.overlaps.map(Self.e).joined(separator: "; ")
                + ". These models may have learnt some of these labels; their numbers flatter them.</p></div>"
        }
        page +=
            "<h2>Metrics</h2>"
            + Self.scroll(metricsTable(report.comparison.models, rows: ComparisonTable.rows(report.comparison.models, infos: report.models)))
        page += "<p class=\"note\">AUC intervals are DeLong's (95%, normal, clipped to [0, 1]); Δ is each model minus the baseline with the paired DeLong test "
        page += "(Sun &amp; Xu 2014). ECE: 10 equal-width bins. Lift and capture: the top 10% of scores.</p>"
        page += "<h2>Curves</h2><div class=\"grid\">" + curves + "</div>" + Self.scroll(reliabilityTable)
        page += "<h2>Score distributions</h2><div class=\"grid\">" + distributions + "</div>"
        page += "<h2>Feature importances</h2>" + (importanceChart.map { "<div class=\"wide\">\($0)</div>" } ?? "") + importanceNotes
        if !report.comparison.segments.isEmpty {
            page += "<h2 id=\"segments\">Segments</h2>" + Self.scroll(segmentTable)
            page +=
                "<p class=\"note\"><span class=\"flag\">small</span> marks a segment with fewer than \(Self.smallSegmentRows) rows or "
                + "\(Self.smallSegmentClass) of either outcome: its intervals are wide, and its differences are rarely significant.</p>"
        }
        if let purchases = report.purchases { page += "<h2 id=\"purchases\">Expected purchases and spend</h2>" + purchaseSection(purchases) }
        page += "<h2>Where the rows came from</h2>" + Self.scroll(provenance)
        return page + "</body></html>\n"
    }

    var verdict: String {
        var s = "<div class=\"verdict\">"
        for model in report.comparison.models.dropFirst() {
            guard let test = model.versusBaseline else { continue }
            let interval =
                "Δ AUC \(ComparisonTable.signed(test.difference)) (95% CI \(ComparisonTable.signed(test.low)) to \(ComparisonTable.signed(test.high))), p = \(ComparisonTable.p(test.p))"
            let baseline = Self.e(report.comparison.models[0].name)
            if test.p < 0.05 {
                let better = test.difference > 0
                s +=
                    "<p><span class=\"\(better ? "better" : "worse")\">\(Self.e(model.name)) ranks \(better ? "better" : "worse") than \(baseline)</span>: \(interval).</p>"
                s += calibrationCaveat(model, baseline: report.comparison.models[0], rankedBetter: better)
            } else {
                s += "<p><span class=\"same\">No significant difference between \(Self.e(model.name)) and \(baseline)</span>: \(interval).</p>"
            }
        }
        return s + "</div>"
    }

    /// The better-ranking model's probabilities can still be worse ones: said beside the AUC verdict
    /// when its calibration error is worse by more than 0.01 or its log loss is worse.
    func calibrationCaveat(_ model: ScoreComparison.Model, baseline: ScoreComparison.Model, rankedBetter: Bool) -> String {
        let (winner, loser) = rankedBetter ? (model, baseline) : (baseline, model)
        let eceWorse = winner.metrics.calibrationError - loser.metrics.calibrationError > 0.01
        let lossWorse = winner.metrics.logLoss > loser.metrics.logLoss
        guard eceWorse || lossWorse else { return "" }
        return "<p><span class=\"flag\">But \(Self.e(winner.name))'s probabilities are less well calibrated</span>: ECE "
            + "\(ComparisonTable.f(winner.metrics.calibrationError)) against \(ComparisonTable.f(loser.metrics.calibrationError)), log loss "
            + "\(ComparisonTable.f(winner.metrics.logLoss)) against \(ComparisonTable.f(loser.metrics.logLoss)). It orders users better; where the "
            + "probability itself is used (a budget, an expected count), calibrate it (`recur train --calibrate`) or weigh the two.</p>"
    }

    /// Rows, mean predicted and observed rate per reliability bin, for each model: how much each point of the diagram rests on.
    var reliabilityTable: String {
        let names = report.models.map(\.name)
        var s = "<table><thead><tr><th>reliability bin</th>"
        for name in names { s += "<th>\(Self.e(name)) rows</th><th>predicted</th><th>observed</th>" }
        s += "</tr></thead><tbody>"
        let bins = names.indices.map { i -> [Int: ScoreCurves.ReliabilityBin] in
            guard set.scores[i].allSatisfy({ $0 >= 0 && $0 <= 1 }) else { return [:] }
            var byBin = [Int: ScoreCurves.ReliabilityBin]()
            for bin in ScoreCurves.reliability(set.scores[i], set.labels) { byBin[min(9, Int(bin.meanPredicted * 10))] = bin }
            return byBin
        }
        for b in 0..<10 where bins.contains(where: { $0[b] != nil }) {
            s += "<tr><td>\(String(format: "%.1f–%.1f", Double(b) / 10, Double(b + 1) / 10))</td>"
            for i in names.indices {
                if let bin = bins[i][b] {
                    s += "<td>\(bin.rows)</td><td>\(ComparisonTable.f(bin.meanPredicted))</td><td>\(ComparisonTable.f(bin.observed))</td>"
                } else {
                    s += "<td>0</td><td>—</td><td>—</td>"
                }
            }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// Why a model has no bar in the importances.
    var importanceNotes: String {
        let notes = report.models.filter(\.importances.isEmpty).map { model -> String in
            switch model.kind {
            case "bgnbd", "paretonbd":
                return
                    "\(Self.e(model.name)) (\(model.kind)) has no per-feature importances: it reads four purchase-history features through its likelihood, not weights; EXPLAIN shows a user's P(alive) and expected purchases."
            case "scores": return "\(Self.e(model.name)) is a column of scores from a file: nothing to attribute."
            default: return "\(Self.e(model.name)) (\(model.kind)) recorded no importances."
            }
        }
        return notes.map { "<p class=\"note\">\($0)</p>" }.joined()
    }

    func metricsTable(_ models: [ScoreComparison.Model], rows: [(String, [String])]) -> String {
        var s = "<table><thead><tr><th>metric</th>"
        for (i, m) in models.enumerated() {
            s += "<th><span style=\"color:\(SVGChart.color(i))\">■</span> \(Self.e(m.name))\(i == 0 ? " (baseline)" : "")</th>"
        }
        s += "</tr></thead><tbody>"
        for (label, cells) in rows {
            let indented = label.hasPrefix("  ")
            s +=
                "<tr><td\(indented ? " class=\"sub1\"" : "")>\(Self.e(label.trimmingCharacters(in: .whitespaces)))</td>"
                + cells.map { "<td>\(Self.e($0))</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table>"
    }

    /// One row per segment: size, base rate, each model's AUC with its interval, each challenger's Δ and p, and ECE.
    var segmentTable: String {
        let models = report.comparison.models
        var s = "<table><thead><tr><th>segment</th><th>rows</th><th>base rate</th>"
        for (i, m) in models.enumerated() { s += "<th><span style=\"color:\(SVGChart.color(i))\">■</span> \(Self.e(m.name)) AUC</th>" }
        for m in models.dropFirst() { s += "<th>Δ \(Self.e(m.name)), p</th>" }
        for m in models { s += "<th>ECE \(Self.e(m.name))</th>" }
        s += "</tr></thead><tbody>"
        for segment in report.comparison.segments {
            let small =
                segment.rows < Self.smallSegmentRows || segment.positives < Self.smallSegmentClass
                || segment.rows - segment.positives < Self.smallSegmentClass
            s +=
                "<tr><td>\(Self.e(segment.name))\(small ? " <span class=\"flag\">small</span>" : "")</td><td>\(segment.rows)</td>"
                + "<td>\(ComparisonTable.f(Double(segment.positives) / Double(max(1, segment.rows))))</td>"
            for m in segment.models {
                s +=
                    "<td>\(ComparisonTable.f(m.metrics.rocAUC)) <span class=\"note\">\(ComparisonTable.f(m.aucLow))–\(ComparisonTable.f(m.aucHigh))</span></td>"
            }
            for m in segment.models.dropFirst() {
                let test = m.versusBaseline
                s += "<td>\(test.map { "\(ComparisonTable.signed($0.difference)), p \(ComparisonTable.p($0.p))" } ?? "—")</td>"
            }
            for m in segment.models { s += "<td>\(ComparisonTable.f(m.metrics.calibrationError))</td>" }
            s += "</tr>"
        }
        return s + "</tbody></table>"
    }

    var curves: String {
        let names = report.models.map(\.name)
        func series(_ make: ([Double]) -> [ScoreCurves.Point]) -> [SVGChart.Series] {
            names.indices.map {
                SVGChart.Series(
                    name: "\(names[$0])  AUC \(ComparisonTable.f(report.comparison.models[$0].metrics.rocAUC))", color: SVGChart.color($0),
                    points: make(set.scores[$0]))
            }
        }
        let roc = SVGChart(title: "ROC", xLabel: "false positive rate", yLabel: "true positive rate")
            .lines(series { ScoreCurves.roc($0, set.labels) }, reference: (.init(x: 0, y: 0), .init(x: 1, y: 1)))
        var prSeries = series { ScoreCurves.precisionRecall($0, set.labels) }
        for i in prSeries.indices { prSeries[i].name = "\(names[i])  AP \(ComparisonTable.f(report.comparison.models[i].metrics.prAUC))" }
        let base = report.comparison.baseRate
        let pr = SVGChart(title: "Precision–recall", xLabel: "recall", yLabel: "precision")
            .lines(prSeries, reference: (.init(x: 0, y: base), .init(x: 1, y: base)), legendAt: .topRight)
        let probabilities = names.indices.filter { set.scores[$0].allSatisfy { $0 >= 0 && $0 <= 1 } }
        let top = max(0.05, min(1, (probabilities.flatMap { set.scores[$0] }.max() ?? 1) * 1.05))
        var reliabilitySeries = [SVGChart.Series]()
        for i in probabilities {
            let bins = ScoreCurves.reliability(set.scores[i], set.labels)
            reliabilitySeries.append(
                SVGChart.Series(
                    name: "\(names[i])  ECE \(ComparisonTable.f(report.comparison.models[i].metrics.calibrationError))",
                    color: SVGChart.color(i), points: bins.map { .init(x: $0.meanPredicted, y: $0.observed) }, markers: true))
        }
        let reliability = SVGChart(
            title: "Reliability (10 bins)", xLabel: "mean predicted probability", yLabel: "observed purchase rate",
            xRange: 0...top, yRange: 0...top
        )
        .lines(reliabilitySeries, reference: (.init(x: 0, y: 0), .init(x: top, y: top)))
        var gainSeries = series { ScoreCurves.gains($0, set.labels) }
        for i in gainSeries.indices { gainSeries[i].name = "\(names[i])  top 10% \(ComparisonTable.f(report.comparison.models[i].captureTopDecile, 3))" }
        let gains = SVGChart(title: "Cumulative gains", xLabel: "share of users contacted (best scores first)", yLabel: "share of purchasers found")
            .lines(gainSeries, reference: (.init(x: 0, y: 0), .init(x: 1, y: 1)))
        return roc + pr + reliability + gains
    }

    /// One y scale for every model's histogram, so their shapes compare at a glance.
    var sharedPeak: Double {
        report.models.indices.map { i -> Double in
            let scores = set.scores[i]
            let low = min(0, scores.min() ?? 0),
                high = max(scores.allSatisfy { $0 <= 1 } ? min(1, (scores.max() ?? 1) * 1.05) : (scores.max() ?? 1), low + 1e-9)
            let (pos, neg) = ScoreCurves.histogram(scores, set.labels, bins: 25, low: low, high: high)
            return (pos + neg).max() ?? 0
        }.reduce(0.01, max) * 1.1
    }

    var distributions: String {
        let sharedPeak = self.sharedPeak
        return report.models.indices.map { i -> String in
            let scores = set.scores[i]
            let low = min(0, scores.min() ?? 0),
                high = max(scores.allSatisfy { $0 <= 1 } ? min(1, (scores.max() ?? 1) * 1.05) : (scores.max() ?? 1), low + 1e-9)
            let bins = 25
            let (pos, neg) = ScoreCurves.histogram(scores, set.labels, bins: bins, low: low, high: high)
            func steps(_ shares: [Double]) -> [ScoreCurves.Point] {
                var points = [ScoreCurves.Point(x: low, y: 0)]
                for (b, share) in shares.enumerated() {
                    let x0 = low + Double(b) / Double(bins) * (high - low), x1 = low + Double(b + 1) / Double(bins) * (high - low)
                    points += [.init(x: x0, y: share), .init(x: x1, y: share)]
                }
                return points + [.init(x: high, y: 0)]
            }
            let peak = sharedPeak
            return SVGChart(
                title: "\(report.models[i].name): scores by outcome", xLabel: "score", yLabel: "share of the class", xRange: low...high, yRange: 0...peak
            )
            .lines(
                [
                    SVGChart.Series(name: "purchased", color: SVGChart.color(i), points: steps(pos)),
                    SVGChart.Series(name: "did not purchase", color: "#6b7280", points: steps(neg), dashed: true)
                ], legendAt: .topRight)
        }.joined()
    }

    /// Each model's error, the actual-against-expected table by past frequency, and its chart.
    func purchaseSection(_ p: PurchaseCountReport) -> String {
        var out = p.summary.map { "<p>\(Self.e($0))</p>" }.joined()
        if let header = p.table.first {
            var table = "<table><thead><tr>" + header.map { "<th>\(Self.e($0))</th>" }.joined() + "</tr></thead><tbody>"
            for row in p.table.dropFirst() { table += "<tr>" + row.map { "<td>\(Self.e($0))</td>" }.joined() + "</tr>" }
            out += Self.scroll(table + "</tbody></table>")
            let chart = SVGChart.bars(
                title: "Purchase days in the horizon by past repeat purchase days", labels: p.byFrequency.map(\.frequency),
                values: [p.byFrequency.map(\.actual)] + p.models.indices.map { k in p.byFrequency.map { $0.expected[k] } },
                names: ["actual"] + p.models.map { "\($0.model) expected" })
            out += "<div class=\"wide\">\(chart)</div>"
        }
        return out
    }

    var importanceChart: String? {
        let withImportances = report.models.enumerated().filter { !$0.element.importances.isEmpty }
        guard !withImportances.isEmpty else { return nil }
        let features = Set(withImportances.flatMap { $0.element.importances.keys })
        let ranked = features.sorted { a, b in
            let ma = withImportances.map { $0.element.importances[a] ?? 0 }.max()!, mb = withImportances.map { $0.element.importances[b] ?? 0 }.max()!
            return ma != mb ? ma > mb : a < b
        }.prefix(15)
        return SVGChart.bars(
            title: "Share of importance (|standardised coefficient| or split gain), top \(ranked.count)", labels: Array(ranked),
            values: withImportances.map { m in ranked.map { m.element.importances[$0] ?? .nan } }, names: withImportances.map(\.element.name))
    }

    var provenance: String {
        let v = report.provenance
        var rows: [(String, String)] = [
            ("cutoff", v.cutoff), ("horizon", v.horizon), ("population", v.population), ("rows", "\(v.rows) (\(v.positives) positive)"),
            ("evaluation set SHA-256", v.evaluationSetSHA256), ("recur", v.codeVersion), ("created", v.createdAt)
        ]
        for model in report.models {
            let window =
                model.trainingCutoffs.isEmpty
                ? "scores from \(v.scoresFile?.file ?? "a file")"
                : "\(model.kind), \(model.featureSet ?? "—"), trained on \(model.trainingCutoffs.count) cutoffs \(model.trainingCutoffs.first!) … \(model.trainingCutoffs.last!), horizon \(model.horizon ?? "—"), labels up to \(model.learntLabelsUntil ?? "—")"
            rows.append(("model \(model.name)", window))
        }
        if let file = v.scoresFile {
            rows.append(
                (
                    "scores file",
                    "\(file.file): \(file.fileRows) rows, \(file.matched) matched, \(file.unmatchedFileRows) unmatched, \(file.evaluationRowsWithoutScore) evaluation rows without a score"
                ))
        }
        rows += v.exclusions.map { ("note", $0) }
        rows += v.overlaps.map { ("overlap allowed", $0) }
        return "<table>" + rows.map { "<tr><td>\(Self.e($0.0))</td><td style=\"text-align:left\">\(Self.e($0.1))</td></tr>" }.joined() + "</table>"
            + "<p class=\"note\">scores.csv holds every row (user, cutoff, label, one column per model); compare.ipynb recomputes these metrics and plots from it.</p>"
    }
}
