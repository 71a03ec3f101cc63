import Foundation

/// Small, self-contained SVG charts for the comparison report: no scripts, no fonts to fetch.
struct SVGChart {
    /// A line to draw: points in data units.
    struct Series {
        var name: String
        var color: String
        var points: [ScoreCurves.Point]
        var dashed = false
        var markers = false
    }

    static let palette = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4b5563"]
    static func color(_ i: Int) -> String { palette[i % palette.count] }

    var title: String
    var xLabel: String
    var yLabel: String
    var xRange: ClosedRange<Double> = 0...1
    var yRange: ClosedRange<Double> = 0...1
    var width = 440.0, height = 330.0
    let left = 52.0, right = 14.0, top = 30.0, bottom = 44.0

    func x(_ v: Double) -> Double { left + (v - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * (width - left - right) }
    func y(_ v: Double) -> Double { height - bottom - (v - yRange.lowerBound) / (yRange.upperBound - yRange.lowerBound) * (height - top - bottom) }
    static func n(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    /// Frame, grid, ticks and axis labels.
    func frame() -> String {
        var s =
            "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Self.n(width)) \(Self.n(height))\" role=\"img\" aria-label=\"\(Self.escape(title))\">"
        s += "<text x=\"\(Self.n(left))\" y=\"18\" class=\"t\">\(Self.escape(title))</text>"
        for fx in Self.niceTicks(xRange) {
            s +=
                "<line x1=\"\(Self.n(x(fx)))\" y1=\"\(Self.n(y(yRange.lowerBound)))\" x2=\"\(Self.n(x(fx)))\" y2=\"\(Self.n(y(yRange.upperBound)))\" class=\"g\"/>"
            s += "<text x=\"\(Self.n(x(fx)))\" y=\"\(Self.n(height - bottom + 15))\" class=\"k\" text-anchor=\"middle\">\(Self.tick(fx))</text>"
        }
        for fy in Self.niceTicks(yRange) {
            s +=
                "<line x1=\"\(Self.n(x(xRange.lowerBound)))\" y1=\"\(Self.n(y(fy)))\" x2=\"\(Self.n(x(xRange.upperBound)))\" y2=\"\(Self.n(y(fy)))\" class=\"g\"/>"
            s += "<text x=\"\(Self.n(left - 6))\" y=\"\(Self.n(y(fy) + 4))\" class=\"k\" text-anchor=\"end\">\(Self.tick(fy))</text>"
        }
        s +=
            "<rect x=\"\(Self.n(left))\" y=\"\(Self.n(top))\" width=\"\(Self.n(width - left - right))\" height=\"\(Self.n(height - top - bottom))\" class=\"f\"/>"
        s += "<text x=\"\(Self.n((left + width - right) / 2))\" y=\"\(Self.n(height - 8))\" class=\"a\" text-anchor=\"middle\">\(Self.escape(xLabel))</text>"
        s +=
            "<text transform=\"translate(13 \(Self.n((top + height - bottom) / 2))) rotate(-90)\" class=\"a\" text-anchor=\"middle\">\(Self.escape(yLabel))</text>"
        return s
    }

    /// Round tick values (steps of 1, 2 or 5 times a power of ten), about five over the range.
    static func niceTicks(_ range: ClosedRange<Double>) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let raw = span / 5, power = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * power }.first { $0 >= raw } ?? 10 * power
        var ticks = [Double](), t = (range.lowerBound / step).rounded(.up) * step
        while t <= range.upperBound + step * 1e-9 { ticks.append(abs(t) < step * 1e-9 ? 0 : t); t += step }
        return ticks
    }

    static func tick(_ v: Double) -> String {
        abs(v - v.rounded()) < 1e-9 ? String(Int(v.rounded())) : String(format: "%g", (v * 1e6).rounded() / 1e6)
    }

    /// A chart of lines, with an optional dotted reference line from (x0, y0) to (x1, y1) and a legend.
    func lines(_ series: [Series], reference: (ScoreCurves.Point, ScoreCurves.Point)? = nil, legendAt corner: Corner = .bottomRight) -> String {
        var s = frame()
        if let (a, b) = reference {
            s += "<line x1=\"\(Self.n(x(a.x)))\" y1=\"\(Self.n(y(a.y)))\" x2=\"\(Self.n(x(b.x)))\" y2=\"\(Self.n(y(b.y)))\" class=\"r\"/>"
        }
        for line in series where !line.points.isEmpty {
            let path = line.points.map {
                "\(Self.n(x(min(max($0.x, xRange.lowerBound), xRange.upperBound)))),\(Self.n(y(min(max($0.y, yRange.lowerBound), yRange.upperBound))))"
            }.joined(separator: " ")
            s += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(line.color)\" stroke-width=\"2\"\(line.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            if line.markers {
                for p in line.points { s += "<circle cx=\"\(Self.n(x(p.x)))\" cy=\"\(Self.n(y(p.y)))\" r=\"3\" fill=\"\(line.color)\"/>" }
            }
        }
        return s + legend(series.map { ($0.name, $0.color, $0.dashed) }, corner) + "</svg>"
    }

    /// Where a legend goes, out of the curves' way.
    enum Corner { case bottomRight, topRight }

    func legend(_ entries: [(String, String, Bool)], _ corner: Corner) -> String {
        var s = ""
        let rowHeight = 15.0
        let startY = corner == .bottomRight ? height - bottom - 10 - Double(entries.count - 1) * rowHeight : top + 14
        let startX = width - right - 150
        for (i, entry) in entries.enumerated() {
            let yy = startY + Double(i) * rowHeight
            s +=
                "<line x1=\"\(Self.n(startX))\" y1=\"\(Self.n(yy - 4))\" x2=\"\(Self.n(startX + 18))\" y2=\"\(Self.n(yy - 4))\" stroke=\"\(entry.1)\" stroke-width=\"2.5\"\(entry.2 ? " stroke-dasharray=\"5 3\"" : "")/>"
            s += "<text x=\"\(Self.n(startX + 23))\" y=\"\(Self.n(yy))\" class=\"l\">\(Self.escape(entry.0))</text>"
        }
        return s
    }

    /// Horizontal grouped bars: one group per label, one bar per series value in [0, max].
    static func bars(title: String, labels: [String], values: [[Double]], names: [String]) -> String {
        let groupHeight = Double(values.count) * 9 + 8
        let width = 900.0, labelWidth = 230.0, top = 30.0
        let height = top + Double(labels.count) * groupHeight + 24 + Double(names.count) * 15
        let maximum = max(1e-12, values.flatMap { $0 }.max() ?? 1)
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(n(width)) \(n(height))\" role=\"img\" aria-label=\"\(escape(title))\">"
        s += "<text x=\"0\" y=\"18\" class=\"t\">\(escape(title))</text>"
        for (i, label) in labels.enumerated() {
            let y0 = top + Double(i) * groupHeight
            s += "<text x=\"\(n(labelWidth - 8))\" y=\"\(n(y0 + groupHeight / 2 + 2))\" class=\"k\" text-anchor=\"end\">\(escape(label))</text>"
            for k in values.indices {
                let v = values[k][i]
                let w = v.isNaN ? 0 : v / maximum * (width - labelWidth - 70)
                s += "<rect x=\"\(n(labelWidth))\" y=\"\(n(y0 + 4 + Double(k) * 9))\" width=\"\(n(w))\" height=\"8\" fill=\"\(color(k))\"/>"
                s += "<text x=\"\(n(labelWidth + w + 4))\" y=\"\(n(y0 + 11 + Double(k) * 9))\" class=\"k\">\(v.isNaN ? "—" : String(format: "%.3f", v))</text>"
            }
        }
        for (k, name) in names.enumerated() {
            let yy = top + Double(labels.count) * groupHeight + 18 + Double(k) * 15
            s +=
                "<rect x=\"\(n(labelWidth))\" y=\"\(n(yy - 9))\" width=\"14\" height=\"9\" fill=\"\(color(k))\"/><text x=\"\(n(labelWidth + 20))\" y=\"\(n(yy))\" class=\"l\">\(escape(name))</text>"
        }
        return s + "</svg>"
    }
}
