import Foundation

/// The comparison as a side-by-side table (one column per model) for the terminal or for Markdown.
public struct ComparisonTable: Sendable {
    public let report: ComparisonReport
    public init(_ report: ComparisonReport) { self.report = report }

    static func f(_ x: Double, _ digits: Int = 4) -> String { x.isNaN ? "—" : String(format: "%.\(digits)f", x) }
    static func signed(_ x: Double) -> String { x.isNaN ? "—" : String(format: "%+.4f", x) }
    static func p(_ x: Double) -> String { x.isNaN ? "—" : (x < 0.0001 ? String(format: "%.1e", x) : String(format: "%.4f", x)) }

    /// Rows of (label, one cell per model) for a list of compared models.
    static func rows(_ models: [ScoreComparison.Model], infos: [ComparisonReport.ModelInfo]?) -> [(String, [String])] {
        var rows = [(String, [String])]()
        if let infos {
            rows.append(("kind", infos.map(\.kind)))
            rows.append(("feature set", infos.map { $0.featureSet ?? "—" }))
        }
        rows.append(("ROC AUC", models.map { f($0.metrics.rocAUC) }))
        rows.append(("  95% CI (DeLong)", models.map { "\(f($0.aucLow))–\(f($0.aucHigh))" }))
        rows.append(
            ("  Δ vs baseline", models.map { $0.versusBaseline.map { "\(signed($0.difference)) [\(signed($0.low)), \(signed($0.high))]" } ?? "baseline" }))
        rows.append(("  p (paired DeLong)", models.map { $0.versusBaseline.map { p($0.p) } ?? "—" }))
        if models.contains(where: { $0.bootstrap != nil }) {
            rows.append(("  95% CI (bootstrap)", models.map { $0.bootstrap.map { "\(f($0.aucLow))–\(f($0.aucHigh))" } ?? "—" }))
            rows.append(
                (
                    "  Δ CI, p (bootstrap)",
                    models.map { m in
                        m.bootstrap?.versusBaseline.map { "[\(signed($0.low)), \(signed($0.high))] p \(p($0.p))" } ?? "—"
                    }
                ))
        }
        rows.append(("PR AUC", models.map { f($0.metrics.prAUC) }))
        rows.append(("log loss", models.map { f($0.metrics.logLoss) }))
        rows.append(("Brier", models.map { f($0.metrics.brier) }))
        rows.append(("ECE", models.map { f($0.metrics.calibrationError) }))
        rows.append(("lift, top 10%", models.map { f($0.metrics.liftTopDecile, 2) }))
        rows.append(("capture, top 10%", models.map { f($0.captureTopDecile, 3) }))
        rows.append(("Spearman vs baseline", models.map { f($0.spearmanWithBaseline, 3) }))
        rows.append(("top-10% overlap", models.map { f($0.topDecileOverlap, 3) }))
        return rows
    }

    var headline: [String] {
        let v = report.provenance
        var lines = [
            "evaluation: cutoff \(v.cutoff), horizon \(v.horizon), population \(v.population): \(v.rows) rows, "
                + "\(v.positives) positive (base rate \(Self.f(report.comparison.baseRate))), rows sha256 \(v.evaluationSetSHA256.prefix(12))"
        ]
        lines += v.exclusions.map { "note: \($0)" }
        lines += v.overlaps.map { "warning (--allow-overlap): \($0)" }
        return lines
    }

    /// Aligned columns for a terminal.
    public var text: String {
        var out = headline.joined(separator: "\n") + "\n\n"
        let names = report.models.enumerated().map { $0.offset == 0 ? "\($0.element.name) (baseline)" : $0.element.name }
        out += Self.align([("", names)] + Self.rows(report.comparison.models, infos: report.models))
        for segment in report.comparison.segments {
            out += "\n\nsegment: \(segment.name): \(segment.rows) rows, base rate \(Self.f(Double(segment.positives) / Double(max(1, segment.rows))))\n"
            out += Self.align([("", names)] + Self.segmentRows(segment.models))
        }
        if let purchases = report.purchases {
            out += "\n\n" + purchases.summary.joined(separator: "\n  ")
            if !purchases.table.isEmpty { out += "\n" + Self.align(purchases.table.map { ("  " + $0[0], Array($0.dropFirst())) }) }
        }
        return out
    }

    static func segmentRows(_ models: [ScoreComparison.Model]) -> [(String, [String])] {
        [
            ("ROC AUC", models.map { f($0.metrics.rocAUC) }),
            ("  95% CI (DeLong)", models.map { "\(f($0.aucLow))–\(f($0.aucHigh))" }),
            ("  Δ vs baseline, p", models.map { $0.versusBaseline.map { "\(signed($0.difference)) p \(p($0.p))" } ?? "baseline" }),
            ("log loss", models.map { f($0.metrics.logLoss) }), ("ECE", models.map { f($0.metrics.calibrationError) }),
            ("lift, top 10%", models.map { f($0.metrics.liftTopDecile, 2) })
        ]
    }

    static func align(_ rows: [(String, [String])]) -> String {
        let labelWidth = rows.map(\.0.count).max() ?? 0
        let columns = rows.first?.1.count ?? 0
        let widths = (0..<columns).map { c in rows.map { $0.1[c].count }.max() ?? 0 }
        return rows.map { row in
            ([row.0.padding(toLength: labelWidth, withPad: " ", startingAt: 0)]
                + row.1.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) })
                .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }.joined(separator: "\n")
    }

    /// A GitHub-flavoured Markdown table, for pasting into a review.
    public var markdown: String {
        var out = headline.map { "> \($0)" }.joined(separator: "\n") + "\n\n"
        let names = report.models.enumerated().map { $0.offset == 0 ? "\($0.element.name) (baseline)" : $0.element.name }
        func table(_ rows: [(String, [String])]) -> String {
            (["| metric | " + names.joined(separator: " | ") + " |", "|---|" + names.map { _ in "---:|" }.joined()]
                + rows.map {
                    "| \($0.0.trimmingCharacters(in: .whitespaces)) | " + $0.1.map { $0.replacingOccurrences(of: "|", with: "\\|") }.joined(separator: " | ")
                        + " |"
                })
                .joined(separator: "\n")
        }
        out += table(Self.rows(report.comparison.models, infos: report.models))
        for segment in report.comparison.segments {
            out += "\n\n**\(segment.name)**: \(segment.rows) rows\n\n" + table(Self.segmentRows(segment.models))
        }
        if let purchases = report.purchases {
            out += "\n\n" + purchases.summary.map { "- \($0)" }.joined(separator: "\n")
            if let header = purchases.table.first {
                out += "\n\n| " + header.joined(separator: " | ") + " |\n|---|" + header.dropFirst().map { _ in "---:|" }.joined()
                for row in purchases.table.dropFirst() { out += "\n| " + row.joined(separator: " | ") + " |" }
            }
        }
        return out + "\n"
    }
}
