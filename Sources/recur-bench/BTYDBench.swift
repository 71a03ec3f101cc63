import ArgumentParser
import Foundation
import RecurCore

/// `recur-bench btyd --csv summary.csv [--model …]`: times a buy-till-you-die or spend fit on a summary table.
struct BTYDBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "btyd", abstract: "Time the BG/NBD, Pareto/NBD or Gamma-Gamma maximum-likelihood fit on a summary CSV.")

    enum Model: String, CaseIterable, ExpressibleByArgument { case bgnbd, paretonbd, gammagamma }

    @Option(help: "CSV with frequency (or x), recency (or t_x) and T columns, and monetary_value (or zbar) for gammagamma.") var csv: String
    @Option(help: "bgnbd, paretonbd or gammagamma.") var model = Model.bgnbd
    @Option(help: "Timed fits; the median is reported.") var runs = 3

    func run() throws {
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        // CRLF is one Character in Swift: split on any line break.
        let lines = text.split(whereSeparator: \.isNewline)
        let header = lines.first?.split(separator: ",").map { String($0) } ?? []
        func column(_ names: String...) throws -> Int {
            guard let index = header.firstIndex(where: names.contains) else {
                throw ValidationError("\(csv): the header needs \(names.joined(separator: " or "))")
            }
            return index
        }
        let f = try column("frequency", "x"), r = try column("recency", "t_x"), t = try column("T")
        let m = model == .gammagamma ? try column("monetary_value", "zbar") : -1
        var rows = [(BetaGeometricNBD.Customer, Double)]()
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count, let x = Double(fields[f]), let tx = Double(fields[r]), let age = Double(fields[t]) else { continue }
            rows.append((BetaGeometricNBD.Customer(frequency: x, recency: tx, age: age), m >= 0 ? Double(fields[m]) ?? 0 : 0))
        }
        var times = [Double](), described = ""
        for _ in 0..<max(1, runs) {
            let started = Date()
            switch model {
            case .bgnbd:
                let fit = BetaGeometricNBD.fit(rows.map(\.0))
                described = String(format: "r %.4f alpha %.4f a %.4f b %.4f LL %.3f", fit.r, fit.alpha, fit.a, fit.b, fit.logLikelihood)
            case .paretonbd:
                let fit = try ParetoNBD.fit(rows.map(\.0))
                described = String(format: "r %.4f alpha %.4f s %.4f beta %.4f LL %.3f", fit.r, fit.alpha, fit.s, fit.beta, fit.logLikelihood)
            case .gammagamma:
                let fit = try GammaGamma.fit(rows.map { GammaGamma.Customer(frequency: $0.0.frequency, meanSpend: $0.1) })
                described = String(format: "p %.4f q %.4f v %.4f LL %.3f (%d repeat customers)", fit.p, fit.q, fit.v, fit.logLikelihood, fit.fittedCustomers)
            }
            times.append(Date().timeIntervalSince(started))
        }
        let median = times.sorted()[times.count / 2]
        print(String(format: "recur %@: %d customers, median %.3f s of %d, %@", model.rawValue, rows.count, median, times.count, described))
    }
}
