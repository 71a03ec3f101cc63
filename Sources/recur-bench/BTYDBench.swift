import ArgumentParser
import Foundation
import RecurCore

/// `recur-bench btyd --csv summary.csv`: times the BG/NBD fit on a (frequency, recency, T) table.
struct BTYDBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "btyd", abstract: "Time the BG/NBD maximum-likelihood fit on a frequency,recency,T CSV.")
    @Option(help: "CSV with frequency, recency and T columns (others ignored).") var csv: String
    @Option(help: "Timed fits; the median is reported.") var runs = 3

    func run() throws {
        let text = try String(contentsOfFile: csv, encoding: .utf8)
        let lines = text.split(separator: "\n")
        guard let header = lines.first?.split(separator: ",").map({ String($0) }),
            let f = header.firstIndex(of: "frequency"), let r = header.firstIndex(of: "recency"), let t = header.firstIndex(of: "T")
        else {
            throw ValidationError("\(csv): the header needs frequency, recency and T")
        }
        let customers = lines.dropFirst().compactMap { line -> BetaGeometricNBD.Customer? in
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            guard fields.count == header.count, let x = Double(fields[f]), let tx = Double(fields[r]), let age = Double(fields[t]) else { return nil }
            return BetaGeometricNBD.Customer(frequency: x, recency: tx, age: age)
        }
        var times = [Double](), model = BetaGeometricNBD(r: 0, alpha: 0, a: 0, b: 0)
        for _ in 0..<max(1, runs) {
            let started = Date()
            model = BetaGeometricNBD.fit(customers)
            times.append(Date().timeIntervalSince(started))
        }
        let median = times.sorted()[times.count / 2]
        print(
            String(
                format: "recur bgnbd: %d customers, median %.3f s of %d, r %.4f alpha %.4f a %.4f b %.4f LL %.3f",
                customers.count, median, times.count, model.r, model.alpha, model.a, model.b, model.logLikelihood))
    }
}
