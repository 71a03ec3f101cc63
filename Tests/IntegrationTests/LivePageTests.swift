import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

/// The live page (/ui) and its endpoint: numbers equal PostgreSQL's, and headless Chromium draws
/// every chart with no console error, at a desk's width and a phone's.
@Suite(.serialized) struct LivePageTests {
    static func text(_ id: String, in dom: String) -> String? {
        guard let range = dom.range(of: "id=\"\(id)\"[^>]*>([^<]*)<", options: .regularExpression) else { return nil }
        let match = String(dom[range])
        return match.split(separator: ">", maxSplits: 1).last.map { String($0.dropLast()) }
    }

    static func attribute(_ name: String, ofSVG id: String, in dom: String) -> Int? {
        guard let range = dom.range(of: "<svg id=\"\(id)\"[^>]*>", options: .regularExpression) else { return nil }
        let tag = String(dom[range])
        guard let value = tag.range(of: "\(name)=\"[0-9]+\"", options: .regularExpression) else { return nil }
        return Int(tag[value].split(separator: "\"")[1])
    }

    @Test func theOverviewAndThePageShowWhatTheTablesHold() throws {
        let f = try ServerTests.fixture(liveFeed: true)
        defer { ServerTests.stop(f) }
        let feed = try #require(f.server.feed)
        // A builder's report, as `recur stream` writes it every second.
        try StreamStatus.record(writer: "builder-a", topic: "events", lag: [0: 5, 1: 2], committed: 1_234, on: f.store.connection)
        feed.refresh()
        let port = try #require(f.server.httpPort)
        let c = try TestClient(port: port)
        let answer = try #require(c.get("/v1/analytics/overview"))
        #expect(answer.status == 200)
        let overview = json(answer.body)

        // The funnel's hours are the newest 24 rows of rollup_funnel_1h, as PostgreSQL holds them.
        let hours = (overview["funnel"] as? [String: Any])?["rows"] as? [[String: Any]] ?? []
        #expect(hours.count == 24)
        let views = try f.store.connection.query(
            "SELECT sum(views)::bigint FROM (SELECT views FROM rollup_funnel_1h ORDER BY window_start DESC LIMIT 24) r"
        ).require(Int.self, 0, 0)
        #expect(hours.reduce(0) { $0 + (($1["views"] as? Int) ?? 0) } == views)
        let stream = overview["stream"] as? [String: Any] ?? [:]
        #expect(stream["lag_total"] as? Int == 7 && stream["events_committed"] as? Int == 1_234)
        let model = overview["model"] as? [String: Any] ?? [:]
        #expect(model["version"] as? String == "v1")
        let scores = overview["scores"] as? [String: Any] ?? [:]
        #expect(scores["sample"] as? Int == f.users.count && scores["sampled"] as? Bool == false)
        #expect(((scores["bins"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["count"] as? Int) ?? 0) } == f.users.count)
        let sessions = ((overview["sessions"] as? [String: Any])?["rows"] as? [[String: Any]])?.first ?? [:]
        let sessionCount = try f.store.connection.query(
            "SELECT count(*) FROM sessions WHERE session_start > (SELECT max(session_start) FROM sessions) - interval '1 day'"
        ).require(Int.self, 0, 0)
        #expect(sessions["sessions"] as? Int == sessionCount && sessionCount > 0)

        // The page itself holds no data and needs no token; the overview does when there is one.
        let page = try #require(c.get("/ui"))
        #expect(page.status == 200 && page.headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(!page.body.contains("http://") || !page.body.contains("<script src"), "no script from elsewhere")
        #expect(!page.body.contains("<link "), "no stylesheet from elsewhere")

        for width in [1400, 390] {
            let loaded = try HeadlessChromium.load("http://127.0.0.1:\(port)/ui", width: width)
            #expect(loaded.console.isEmpty, "console at \(width) px: \(loaded.console)")
            #expect(loaded.dom.contains("data-drawn=\"1\""), "the page drew once: \(loaded.dom.prefix(300))")
            for chart in ["chart-events", "chart-funnel", "chart-late", "chart-scores"] {
                #expect((Self.attribute("data-bars", ofSVG: chart, in: loaded.dom) ?? 0) > 0, "\(chart) at \(width) px")
            }
            #expect(Self.attribute("data-points", ofSVG: "chart-conversion", in: loaded.dom) == 24)
            #expect(Self.text("funnel-views", in: loaded.dom) == String(views))
            #expect(Self.text("sessions-count", in: loaded.dom) == String(sessionCount))
            #expect(Self.text("lag-total", in: loaded.dom) == "7")
            #expect(Self.text("model-version", in: loaded.dom) == "v1")
            #expect(Self.text("late-total", in: loaded.dom) == String(hours.reduce(0) { $0 + (($1["late"] as? Int) ?? 0) }))
        }
    }

    @Test func withATokenThePageAsksWithItAndTheOverviewRefusesWithout() throws {
        let f = try ServerTests.fixture(authToken: "s3cret", liveFeed: true)
        defer { ServerTests.stop(f) }
        f.server.feed?.refresh()
        let port = try #require(f.server.httpPort)
        let c = try TestClient(port: port)
        #expect(c.get("/v1/analytics/overview")?.status == 401)
        #expect(c.get("/ui")?.status == 200)
        let loaded = try HeadlessChromium.load("http://127.0.0.1:\(port)/ui#token=s3cret")
        #expect(loaded.console.isEmpty, "\(loaded.console)")
        #expect(Self.text("model-version", in: loaded.dom) == "v1")
        let refused = try HeadlessChromium.load("http://127.0.0.1:\(port)/ui")
        #expect(Self.text("status", in: refused.dom)?.contains("authentication required") == true, "\(refused.dom.prefix(400))")
    }

    /// docs/grafana-dashboard.json names only metrics Recur exports and runs only SQL its tables answer.
    @Test func theGrafanaDashboardQueriesRealMetricsAndColumns() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("docs/grafana-dashboard.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = dashboard["panels"] as? [[String: Any]] ?? []
        #expect(panels.count >= 10)
        let scrape = try TestClient(port: try #require(f.server.metricsPort))
        let served = try #require(scrape.get("/metrics")).body + StreamMetrics().prometheusText()
        var expressions = 0, queries = 0
        for panel in panels {
            for target in panel["targets"] as? [[String: Any]] ?? [] {
                if let expression = target["expr"] as? String {
                    expressions += 1
                    var names = [String]()
                    var rest = Substring(expression)
                    while let range = rest.range(of: "recur_[a-z_]+", options: .regularExpression) {
                        names.append(String(rest[range]))
                        rest = rest[range.upperBound...]
                    }
                    #expect(!names.isEmpty, "\(expression)")
                    for name in names {
                        let family = name.replacingOccurrences(of: "_bucket", with: "")
                        #expect(served.contains("# TYPE \(family) "), "panel \(panel["title"] ?? ""): \(name) is not exported")
                    }
                }
                if var sql = target["rawSql"] as? String {
                    queries += 1
                    // Grafana's macro, as it expands it for a range that holds everything.
                    while let range = sql.range(of: #"\$__timeFilter\(([a-z_]+)\)"#, options: .regularExpression) {
                        let column = sql[range].dropFirst("$__timeFilter(".count).dropLast()
                        sql.replaceSubrange(range, with: "\(column) BETWEEN '0001-01-01' AND '9999-01-01'")
                    }
                    let rows = try f.store.connection.query(sql)
                    #expect(rows.rowCount > 0 || panel["type"] as? String == "table", "panel \(panel["title"] ?? ""): no rows")
                }
            }
        }
        #expect(expressions >= 5 && queries >= 5)
    }
}
