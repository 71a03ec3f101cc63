import Foundation
import Testing

extension ModelCompareTests {
    /// report.html read in Debian's headless Chromium on a desk (1400 px) and a phone (390 px): the
    /// page never scrolls sideways (wide tables scroll in their own box) and every chart is at least
    /// 300 px wide; the small segments, the reliability counts and the importance notes are there.
    @Test func theReportReadsOnAPhoneAndOnADesk() throws {
        guard HeadlessChromium.binary != nil else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_NOTEBOOK"] == "1" { Issue.record("no chromium") }
            return
        }
        let fixture = try Self.fixture.get()
        let models = try modelsCopy(fixture, production: "v1")
        let bg = try recur(
            ["train", "--models-dir", models, "--version", "bg", "--model", "bgnbd", "--cutoffs", "2025-02-01,2025-03-01,2025-04-01", "--horizon", "30d"],
            fixture)
        #expect(bg.status == 0, "\(bg.stderr)")
        let export = exportFolder()
        let run = try recur(
            ["models", "compare", "--models-dir", models, "v1", "v2", "bg", "--cutoff", "2025-05-15", "--segments", "--export-dir", export], fixture)
        #expect(run.status == 0, "\(run.stderr)")
        let html = try String(contentsOfFile: export + "/compare-v1-v2-bg/report.html", encoding: .utf8)
        #expect(html.contains("reliability bin") && html.contains("has no per-feature importances") && html.contains("Expected purchases"))
        // The measuring script goes into a copy (the report itself has none), shown in a frame of each
        // width: headless Chromium's window is never narrower than 500 px. The frame posts what it measured.
        let probe = """
            <script>addEventListener('load', () => parent.postMessage(JSON.stringify({ width: innerWidth,
              page: document.documentElement.scrollWidth,
              charts: [...document.querySelectorAll('svg')].map(s => Math.round(s.getBoundingClientRect().width)) }), '*'));</script></body>
            """
        try html.replacingOccurrences(of: "</body>", with: probe).write(toFile: export + "/measured.html", atomically: true, encoding: .utf8)
        for width in [1400, 390] {
            let host = """
                <!doctype html><html><body style="margin:0"><iframe src="measured.html" style="width:\(width)px;height:4000px;border:0"></iframe>
                <script>addEventListener('message', e => { const p = document.createElement('pre'); p.id = 'layout'; p.textContent = e.data;
                document.body.appendChild(p); });</script></body></html>
                """
            try host.write(toFile: export + "/host-\(width).html", atomically: true, encoding: .utf8)
            let page = try HeadlessChromium.load("file://" + export + "/host-\(width).html", width: max(width, 500) + 40, budget: 2000)
            let text = try #require(page.dom.firstMatch(of: /<pre id="layout">([^<]*)<\/pre>/)?.1, "\(page.dom.prefix(300))")
            let layout = try #require(try JSONSerialization.jsonObject(with: Data(String(text).utf8)) as? [String: Any])
            let (viewport, pageWidth) = (try #require(layout["width"] as? Int), try #require(layout["page"] as? Int))
            let charts = try #require(layout["charts"] as? [Int])
            #expect(viewport == width)
            #expect(pageWidth <= viewport, "at \(width) px the page is \(pageWidth) px wide: it scrolls sideways")
            #expect(charts.count >= 8 && charts.allSatisfy { $0 >= 300 }, "at \(width) px, chart widths \(charts)")
        }
    }
}
