/// The live page: one self-contained HTML document (no CDN, no framework) that draws its charts as
/// SVG from `GET /v1/analytics/overview`, every five seconds.
enum LivePage {
    static let html = Array(text.utf8)

    private static let text = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Recur — live</title>
        <style>
          :root { --ink: #1d2330; --muted: #6b7385; --line: #e3e6ec; --view: #7aa6d8; --cart: #e0a040; --purchase: #3f9d5c; --refund: #c8575a; }
          * { box-sizing: border-box; }
          body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--ink); background: #f6f7f9; }
          header { padding: 12px 20px; background: #fff; border-bottom: 1px solid var(--line); display: flex; flex-wrap: wrap; gap: 8px 24px; align-items: baseline; }
          header h1 { font-size: 18px; margin: 0; }
          #status { color: var(--muted); }
          #status.error { color: var(--refund); }
          main { display: grid; grid-template-columns: repeat(auto-fit, minmax(340px, 1fr)); gap: 16px; padding: 16px 20px; }
          section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
          section h2 { font-size: 14px; margin: 0 0 8px; }
          .figures { display: flex; flex-wrap: wrap; gap: 6px 18px; margin-bottom: 8px; }
          .figure b { display: block; font-size: 20px; font-variant-numeric: tabular-nums; }
          .figure span { color: var(--muted); font-size: 12px; }
          .scroll { overflow-x: auto; }
          table { border-collapse: collapse; width: 100%; font-size: 12px; font-variant-numeric: tabular-nums; }
          th, td { text-align: right; padding: 2px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
          th:first-child, td:first-child { text-align: left; }
          svg { width: 100%; height: 160px; display: block; }
          .legend { font-size: 12px; color: var(--muted); }
          .legend i { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 10px; border-radius: 2px; }
          .note { color: var(--muted); font-size: 12px; }
          .serving { font-weight: 600; }
        </style>
        </head>
        <body>
        <header><h1>Recur — live</h1><span id="status">loading…</span></header>
        <main>
          <section id="stream"><h2>Stream</h2>
            <div class="figures">
              <div class="figure"><b id="lag-total">–</b><span>messages behind</span></div>
              <div class="figure"><b id="throughput">–</b><span>events/s committed</span></div>
              <div class="figure"><b id="freshness">–</b><span>newest event</span></div>
            </div>
            <div class="scroll"><table id="partitions"><thead><tr><th>partition</th><th>lag</th><th>builder</th><th>reported</th></tr></thead><tbody></tbody></table></div>
            <p class="note" id="stream-note"></p>
          </section>
          <section id="events"><h2>Events per minute, by type</h2>
            <svg id="chart-events" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="events per minute"></svg>
            <div class="legend"><i style="background:var(--view)"></i>views<i style="background:var(--cart)"></i>carts<i style="background:var(--purchase)"></i>purchases<i style="background:var(--refund)"></i>refunds</div>
            <p class="note" id="events-note"></p>
          </section>
          <section id="funnel"><h2>Funnel, last 24 hours of data</h2>
            <div class="figures">
              <div class="figure"><b id="funnel-views">–</b><span>views</span></div>
              <div class="figure"><b id="funnel-carts">–</b><span>carts</span></div>
              <div class="figure"><b id="funnel-purchases">–</b><span>purchases</span></div>
              <div class="figure"><b id="funnel-conversion">–</b><span>view → purchase</span></div>
            </div>
            <svg id="chart-funnel" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="funnel"></svg>
            <svg id="chart-conversion" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="conversion by hour"></svg>
            <p class="note">Above: views, carts and purchases; below: purchases per view, by hour.</p>
          </section>
          <section id="sessions"><h2>Sessions and late events, last day of data</h2>
            <div class="figures">
              <div class="figure"><b id="sessions-count">–</b><span>sessions</span></div>
              <div class="figure"><b id="sessions-converted">–</b><span>converted</span></div>
              <div class="figure"><b id="sessions-abandoned">–</b><span>abandoned carts</span></div>
              <div class="figure"><b id="sessions-mean-events">–</b><span>events per session</span></div>
              <div class="figure"><b id="late-total">–</b><span>late events</span></div>
            </div>
            <svg id="chart-late" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="late events by hour"></svg>
            <p class="note">Late: arrived after its window's watermark had passed; counted in its window all the same.</p>
          </section>
          <section id="model"><h2>Model in production</h2>
            <div class="figures">
              <div class="figure"><b id="model-version">–</b><span id="model-kind">model</span></div>
              <div class="figure"><b id="model-auc">–</b><span>holdout ROC AUC</span></div>
              <div class="figure"><b id="model-ece">–</b><span>calibration error</span></div>
            </div>
            <div class="scroll"><table id="versions"><thead><tr><th>version</th><th>kind</th><th>AUC</th><th>PR AUC</th><th>log loss</th><th>ECE</th><th>lift@10%</th></tr></thead><tbody></tbody></table></div>
          </section>
          <section id="scores"><h2>Scores now</h2>
            <svg id="chart-scores" viewBox="0 0 600 160" preserveAspectRatio="none" role="img" aria-label="score distribution"></svg>
            <p class="note" id="scores-note"></p>
          </section>
          <section id="products"><h2>High interest, low conversion</h2>
            <div class="scroll"><table id="products-table"><thead><tr><th>product</th><th>views</th><th>carts</th><th>purchases</th><th>conversion</th></tr></thead><tbody></tbody></table></div>
            <p class="note">The top tenth of products by views over the newest 30 days, buying at under half the overall rate.</p>
          </section>
        </main>
        <script>
        "use strict";
        const token = new URLSearchParams(location.hash.slice(1)).get("token");
        const SVG = "http://www.w3.org/2000/svg";
        let previous = null;

        function text(id, value) { document.getElementById(id).textContent = value; }
        function sum(rows, key) { return rows.reduce((total, row) => total + Number(row[key] || 0), 0); }
        function rows(section) { return section && Array.isArray(section.rows) ? section.rows : []; }

        function clear(svg) { while (svg.firstChild) svg.removeChild(svg.firstChild); }
        function rect(svg, x, y, w, h, color, title) {
          const r = document.createElementNS(SVG, "rect");
          r.setAttribute("x", x); r.setAttribute("y", y); r.setAttribute("width", Math.max(0, w)); r.setAttribute("height", Math.max(0, h));
          r.setAttribute("fill", color);
          if (title) { const t = document.createElementNS(SVG, "title"); t.textContent = title; r.appendChild(t); }
          svg.appendChild(r);
        }
        // Stacked bars, one per row: series are [key, color] pairs.
        function bars(id, data, series, label) {
          const svg = document.getElementById(id);
          clear(svg);
          const max = Math.max(1, ...data.map(row => series.reduce((t, [key]) => t + Number(row[key] || 0), 0)));
          const width = 600 / Math.max(1, data.length);
          data.forEach((row, i) => {
            let y = 160;
            for (const [key, color] of series) {
              const h = Number(row[key] || 0) / max * 150;
              y -= h;
              rect(svg, i * width + 1, y, width - 2, h, color, `${label(row)} ${key}: ${row[key]}`);
            }
          });
          svg.dataset.bars = String(data.length);
        }
        function line(id, values) {
          const svg = document.getElementById(id);
          clear(svg);
          const max = Math.max(1e-9, ...values);
          const points = values.map((v, i) => `${(i + 0.5) * 600 / Math.max(1, values.length)},${155 - v / max * 145}`);
          const path = document.createElementNS(SVG, "polyline");
          path.setAttribute("points", points.join(" "));
          path.setAttribute("fill", "none"); path.setAttribute("stroke", "var(--purchase)"); path.setAttribute("stroke-width", "2");
          svg.appendChild(path);
          svg.dataset.points = String(values.length);
        }
        function table(id, data, columns) {
          const body = document.querySelector(`#${id} tbody`);
          body.replaceChildren(...data.map(row => {
            const tr = document.createElement("tr");
            for (const column of columns) {
              const td = document.createElement("td");
              td.textContent = typeof column === "function" ? column(row) : (row[column] ?? "");
              tr.appendChild(td);
            }
            return tr;
          }));
        }
        const fixed = digits => value => value == null ? "" : Number(value).toFixed(digits);

        function draw(data) {
          const stream = data.stream || {};
          const partitions = stream.partitions || [];
          text("lag-total", stream.lag_total ?? "–");
          const committed = stream.events_committed ?? 0;
          if (previous && previous.committed <= committed) {
            const seconds = (Date.parse(data.as_of) - Date.parse(previous.at)) / 1000;
            text("throughput", seconds > 0 ? Math.round((committed - previous.committed) / seconds) : "–");
          }
          previous = { committed, at: data.as_of };
          const fresh = (stream.freshness || [])[0] || {};
          text("freshness", fresh.newest_event ? fresh.newest_event.replace("T", " ").replace("Z", "") : "–");
          table("partitions", partitions, ["partition", "lag", "writer", row => `${row.age_seconds} s ago`]);
          text("stream-note", partitions.length ? "" : (stream.error || "No stream builder has reported in the last 30 seconds."));

          const minutes = rows(data.events_per_minute);
          bars("chart-events", minutes, [["views", "var(--view)"], ["carts", "var(--cart)"], ["purchases", "var(--purchase)"], ["refunds", "var(--refund)"]], r => r.minute);
          text("events-note", data.events_per_minute && data.events_per_minute.error ? data.events_per_minute.error :
            minutes.length ? `${minutes.length} minutes up to ${minutes[minutes.length - 1].minute}` : "No events yet.");

          const hours = rows(data.funnel);
          const views = sum(hours, "views"), carts = sum(hours, "carts"), purchases = sum(hours, "purchases");
          text("funnel-views", views); text("funnel-carts", carts); text("funnel-purchases", purchases);
          text("funnel-conversion", views > 0 ? (purchases / views * 100).toFixed(2) + "%" : "–");
          bars("chart-funnel", [{ stage: "views", n: views }, { stage: "carts", n: carts }, { stage: "purchases", n: purchases }], [["n", "var(--view)"]], r => r.stage);
          line("chart-conversion", hours.map(h => Number(h.views) > 0 ? Number(h.purchases) / Number(h.views) : 0));
          bars("chart-late", hours, [["late", "var(--refund)"]], r => r.hour);
          text("late-total", sum(hours, "late"));

          const s = rows(data.sessions)[0] || {};
          text("sessions-count", s.sessions ?? "–"); text("sessions-converted", s.converted ?? "–");
          text("sessions-abandoned", s.abandoned_cart ?? "–"); text("sessions-mean-events", s.mean_events ?? "–");

          const model = data.model || {};
          text("model-version", model.version ?? "–"); text("model-kind", model.kind ? `${model.kind} on ${model.feature_set}` : "model");
          const serving = (model.versions || []).find(v => v.serving) || {};
          text("model-auc", serving.roc_auc != null ? Number(serving.roc_auc).toFixed(4) : "–");
          text("model-ece", serving.ece != null ? Number(serving.ece).toFixed(4) : "–");
          table("versions", model.versions || [], [v => v.version + (v.serving ? " ●" : ""), "kind", v => fixed(4)(v.roc_auc), v => fixed(4)(v.pr_auc), v => fixed(4)(v.log_loss), v => fixed(4)(v.ece), v => fixed(2)(v.lift_top_decile)]);

          const scores = data.scores || {};
          bars("chart-scores", scores.bins || [], [["count", "var(--purchase)"]], b => `${b.from}–${b.to}`);
          text("scores-note", scores.sample != null ? `${scores.sample} of ${scores.users} users${scores.sampled ? " (a sample)" : ""}, mean ${Number(scores.mean).toFixed(4)}; refreshed every 30 s.` : "");

          table("products-table", rows(data.low_conversion_products), ["product_id", "views", "carts", "purchases", r => fixed(4)(r.conversion)]);

          const status = document.getElementById("status");
          status.textContent = data.database_error ? `database: ${data.database_error}` : `as of ${data.as_of}`;
          status.className = data.database_error ? "error" : "";
          document.body.dataset.drawn = String(Number(document.body.dataset.drawn || 0) + 1);
        }

        async function refresh() {
          try {
            const response = await fetch("/v1/analytics/overview", { headers: token ? { Authorization: `Bearer ${token}` } : {} });
            const data = await response.json();
            if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
            draw(data);
          } catch (error) {
            const status = document.getElementById("status");
            status.textContent = `cannot reach the server: ${error.message}`;
            status.className = "error";
          }
          setTimeout(refresh, 5000);
        }
        refresh();
        </script>
        </body>
        </html>
        """#
}
