import Foundation

/// compare.ipynb: a Jupyter notebook that recomputes the comparison from scores.csv with pandas,
/// scikit-learn and matplotlib, so that every number can be checked outside Recur.
struct ComparisonNotebook {
    let report: ComparisonReport

    static let load = """
        import json, math
        import numpy as np
        import pandas as pd
        from sklearn.metrics import roc_auc_score, average_precision_score, log_loss, brier_score_loss

        scores = pd.read_csv("scores.csv", dtype={"user": str})
        y = scores["label"].to_numpy()
        models = [c for c in scores.columns if c not in ("user", "cutoff", "label")]
        print(f"{len(scores)} rows, {int(y.sum())} positive (base rate {y.mean():.4f}); models: {', '.join(models)}")
        """

    static let delong = """
        # DeLong's AUC covariance by Sun & Xu's (2014) midranks, written here from the paper.
        def midrank(x):
            order = np.argsort(x, kind="mergesort")
            z = x[order]
            ranks = np.empty(len(x))
            i = 0
            while i < len(z):
                j = i
                while j + 1 < len(z) and z[j + 1] == z[i]:
                    j += 1
                ranks[order[i:j + 1]] = (i + j) / 2 + 1
                i = j + 1
            return ranks

        def delong(columns, y):
            pos, neg = columns[:, y == 1], columns[:, y == 0]
            m, n = pos.shape[1], neg.shape[1]
            tx = np.array([midrank(r) for r in pos]); ty = np.array([midrank(r) for r in neg])
            tz = np.array([midrank(r) for r in np.hstack([pos, neg])])
            aucs = (tz[:, :m].sum(axis=1) - m * (m + 1) / 2) / (m * n)
            v10 = (tz[:, :m] - tx) / n
            v01 = 1 - (tz[:, m:] - ty) / m
            s = np.atleast_2d(np.cov(v10)) / m + np.atleast_2d(np.cov(v01)) / n
            return aucs, s

        def ece(p, y, bins=10):
            b = np.clip((p * bins).astype(int), 0, bins - 1)
            return sum(abs(p[b == k].sum() - y[b == k].sum()) for k in range(bins)) / len(p)

        def top_decile(p):
            order = np.lexsort((np.arange(len(p)), -p))
            return order[:max(1, len(p) // 10)]

        columns = np.vstack([scores[m].to_numpy(dtype=float) for m in models])
        aucs, s = delong(columns, y)
        rows = []
        for k, name in enumerate(models):
            p = columns[k]
            se = math.sqrt(s[k, k])
            top = top_decile(p)
            row = {"model": name, "roc_auc": aucs[k], "sklearn_roc_auc": roc_auc_score(y, p),
                   "ci_low": max(0, aucs[k] - 1.959963984540054 * se), "ci_high": min(1, aucs[k] + 1.959963984540054 * se),
                   "pr_auc": average_precision_score(y, p), "lift_top_decile": y[top].mean() / y.mean(), "capture_top_decile": y[top].sum() / y.sum()}
            if ((p >= 0) & (p <= 1)).all():
                row.update(log_loss=log_loss(y, np.clip(p, 1e-15, 1 - 1e-15)), brier=brier_score_loss(y, p), ece=ece(p, y))
            if k > 0:
                d = aucs[k] - aucs[0]
                v = max(0.0, s[k, k] + s[0, 0] - 2 * s[k, 0])
                z = d / math.sqrt(v) if v > 0 else 0.0
                row.update(delta_auc=d, p_value=math.erfc(abs(z) / math.sqrt(2)) if v > 0 else 1.0)
            rows.append(row)
        table = pd.DataFrame(rows).set_index("model")
        print("AUC_JSON " + json.dumps({r["model"]: r["roc_auc"] for r in rows}))
        table.T
        """

    static let check = """
        # Recur's own numbers (metrics.json) against the ones recomputed above: the notebook fails if any differs.
        from scipy.stats import spearmanr
        recur = json.load(open("metrics.json"))
        by_name = {m["name"]: m for m in recur["comparison"]["models"]}
        checked = 0
        for k, name in enumerate(models):
            m, row, p = by_name[name], rows[k], columns[k]
            pairs = {"roc_auc": (m["metrics"]["roc_auc"], row["roc_auc"]), "ci_low": (m["auc_ci_low"], row["ci_low"]),
                     "ci_high": (m["auc_ci_high"], row["ci_high"]), "pr_auc": (m["metrics"]["pr_auc"], row["pr_auc"]),
                     "lift": (m["metrics"]["lift_top_decile"], row["lift_top_decile"]), "capture": (m["capture_top_decile"], row["capture_top_decile"])}
            if "log_loss" in row:
                pairs.update(log_loss=(m["metrics"]["log_loss"], row["log_loss"]), brier=(m["metrics"]["brier"], row["brier"]), ece=(m["metrics"]["ece"], row["ece"]))
            if k > 0:
                base_top = set(top_decile(columns[0]))
                pairs.update(delta_auc=(m["delong_vs_baseline"]["difference"], row["delta_auc"]), p=(m["delong_vs_baseline"]["p"], row["p_value"]),
                             spearman=(m["spearman_with_baseline"], spearmanr(columns[0], p).correlation),
                             overlap=(m["top_decile_overlap"], len(base_top & set(top_decile(p))) / len(base_top)))
            for what, (theirs, ours) in pairs.items():
                assert theirs is not None and abs(theirs - ours) <= 1e-9 * max(1.0, abs(ours)), f"{name} {what}: metrics.json {theirs}, here {ours}"
                checked += 1
        print(f"CHECKED {checked} numbers of metrics.json: all equal the notebook's")
        # The report's other tables, as metrics.json holds them: the bootstrap's second opinion and the segments.
        boot = [{"model": m["name"], **{k: v for k, v in m["bootstrap"].items() if not isinstance(v, dict)}} for m in recur["comparison"]["models"] if m.get("bootstrap")]
        if boot:
            display(pd.DataFrame(boot).set_index("model"))
        segments = [{"segment": seg["name"], "rows": seg["rows"], "positives": seg["positives"],
                     **{f"{m['name']} AUC": m["metrics"]["roc_auc"] for m in seg["models"]}, **{f"{m['name']} ECE": m["metrics"]["ece"] for m in seg["models"]}}
                    for seg in recur["comparison"].get("segments", [])]
        pd.DataFrame(segments).set_index("segment") if segments else "no segments (compare with --segments)"
        """

    static let plots = """
        import matplotlib
        import matplotlib.pyplot as plt
        from sklearn.metrics import roc_curve, precision_recall_curve

        fig, axes = plt.subplots(2, 2, figsize=(11, 9))
        for k, name in enumerate(models):
            p = columns[k]
            fpr, tpr, _ = roc_curve(y, p)
            axes[0, 0].plot(fpr, tpr, label=f"{name} AUC {aucs[k]:.4f}")
            precision, recall, _ = precision_recall_curve(y, p)
            axes[0, 1].plot(recall, precision, label=name)
            if ((p >= 0) & (p <= 1)).all():
                b = np.clip((p * 10).astype(int), 0, 9)
                used = [i for i in range(10) if (b == i).any()]
                axes[1, 0].plot([p[b == i].mean() for i in used], [y[b == i].mean() for i in used], "o-", label=name)
            order = np.lexsort((np.arange(len(p)), -p))
            axes[1, 1].plot(np.arange(1, len(p) + 1) / len(p), np.cumsum(y[order]) / y.sum(), label=name)
        axes[0, 0].plot([0, 1], [0, 1], ":", color="grey"); axes[0, 0].set(title="ROC", xlabel="false positive rate", ylabel="true positive rate")
        axes[0, 1].axhline(y.mean(), linestyle=":", color="grey"); axes[0, 1].set(title="Precision-recall", xlabel="recall", ylabel="precision")
        top = axes[1, 0].get_xlim()[1]
        axes[1, 0].plot([0, top], [0, top], ":", color="grey"); axes[1, 0].set(title="Reliability (10 bins)", xlabel="mean predicted", ylabel="observed rate")
        axes[1, 1].plot([0, 1], [0, 1], ":", color="grey"); axes[1, 1].set(title="Cumulative gains", xlabel="share contacted", ylabel="share of purchasers")
        for ax in axes.flat:
            ax.legend(fontsize=8)
        plt.tight_layout()
        plt.show()

        fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 3.5), squeeze=False)
        for k, name in enumerate(models):
            axes[0, k].hist([columns[k][y == 1], columns[k][y == 0]], bins=25, density=True, label=["purchased", "did not"], histtype="step")
            axes[0, k].set(title=f"{name}: scores by outcome", xlabel="score"); axes[0, k].legend(fontsize=8)
        plt.tight_layout()
        plt.show()
        """

    var json: Data {
        let v = report.provenance
        let intro = """
            # Model comparison: \(report.models.map(\.name).joined(separator: " vs "))

            Exported by `recur models compare` (\(v.codeVersion), \(v.createdAt)). Cutoff \(v.cutoff), horizon \(v.horizon), \
            population \(v.population): \(v.rows) rows, evaluation set SHA-256 `\(v.evaluationSetSHA256)`.

            This notebook recomputes the comparison from `scores.csv` alone: AUCs with DeLong intervals and paired tests, \
            PR AUC, log loss, Brier, ECE, lift and capture in the top 10%, Spearman and top-10% overlap with the baseline; \
            it then checks every one against Recur's `metrics.json` (and stops if one differs), shows the bootstrap and the \
            segments as metrics.json holds them, and draws the report's plots.
            """
        func cell(_ type: String, _ text: String) -> [String: Any] {
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let source = lines.enumerated().map { $0.offset == lines.count - 1 ? $0.element : $0.element + "\n" }
            var c: [String: Any] = ["cell_type": type, "metadata": [String: Any](), "source": source]
            if type == "code" { c["outputs"] = [Any](); c["execution_count"] = NSNull() }
            return c
        }
        let notebook: [String: Any] = [
            "nbformat": 4, "nbformat_minor": 5,
            "metadata": [
                "kernelspec": ["name": "python3", "display_name": "Python 3", "language": "python"],
                "language_info": ["name": "python"]
            ],
            "cells": [
                cell("markdown", intro), cell("code", Self.load), cell("code", Self.delong),
                cell("markdown", "## Recur's numbers, checked"), cell("code", Self.check), cell("markdown", "## Plots"), cell("code", Self.plots)
            ]
        ]
        // Cell ids are required from nbformat 4.5 on.
        var cells = notebook["cells"] as! [[String: Any]]
        for i in cells.indices { cells[i]["id"] = "cell-\(i)" }
        var withIDs = notebook
        withIDs["cells"] = cells
        return (try? JSONSerialization.data(withJSONObject: withIDs, options: [.prettyPrinted, .sortedKeys])) ?? Data()
    }
}

/// Writes a comparison's export folder: report.html, scores.csv, metrics.json and compare.ipynb.
public struct ComparisonExport: Sendable {
    public let report: ComparisonReport
    public let set: EvaluationSet
    public init(report: ComparisonReport, set: EvaluationSet) { self.report = report; self.set = set }

    /// scores.csv: user, cutoff, label, one column per model, scores printed to round-trip exactly.
    public var scoresCSV: String {
        var out = "user,cutoff,label," + set.modelNames.map(CSVText.field).joined(separator: ",") + "\n"
        let cutoff = set.cutoff.iso8601
        for r in set.users.indices {
            out += CSVText.field(set.users[r]) + "," + cutoff + "," + String(set.labels[r])
            for column in set.scores { out += "," + "\(column[r])" }
            out += "\n"
        }
        return out
    }

    public var html: String { ComparisonHTML(report: report, set: set).html }

    /// Writes the four files into `directory` (created if needed), each by temp file and rename.
    public func write(to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files: [(String, Data)] = [
            ("scores.csv", Data(scoresCSV.utf8)), ("metrics.json", try report.json()),
            ("report.html", Data(html.utf8)), ("compare.ipynb", ComparisonNotebook(report: report).json)
        ]
        for (name, data) in files {
            let path = (directory as NSString).appendingPathComponent(name)
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        }
    }
}
