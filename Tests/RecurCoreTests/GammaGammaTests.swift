import Foundation
import Testing

@testable import RecurCore

/// Gamma-Gamma against the published fit and lifetimes, and the fits' determinism.
@Suite struct GammaGammaTests {
    static func cdnow() -> [(bg: BetaGeometricNBD.Customer, gg: GammaGamma.Customer)]? {
        let path = BetaGeometricNBDTests.dataDirectory + "/cdnow_customers_summary_with_transactions.csv"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        // Its lines end in CRLF, one Character in Swift: split on any line break.
        return text.split(whereSeparator: \.isNewline).dropFirst().compactMap { line in
            let f = line.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").compactMap { Double($0) }
            guard f.count == 5 else { return nil }
            return (BetaGeometricNBD.Customer(frequency: f[1], recency: f[2], age: f[3]), GammaGamma.Customer(frequency: f[1], meanSpend: f[4]))
        }
    }

    @Test func theCDNOWFitEqualsThePaperAndLifetimes() throws {
        guard let rows = Self.cdnow() else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_LIFETIMES"] == "1" { Issue.record("no CDNOW data in \(BetaGeometricNBDTests.dataDirectory)") }
            return
        }
        let model = try GammaGamma.fit(rows.map(\.gg))
        #expect(model.fittedCustomers == 946)
        // Published: p = 6.25, q = 3.74, γ = 15.44; lifetimes 0.11.3: 6.249, 3.745, 15.448 (docs FACTS).
        #expect(abs(model.p - 6.249) / 6.249 < 0.01 && abs(model.q - 3.745) / 3.745 < 0.01 && abs(model.v - 15.448) / 15.448 < 0.01, "\(model)")
        #expect(abs(model.p - 6.25) < 0.01 && abs(model.q - 3.74) < 0.01 && abs(model.v - 15.44) < 0.01)
        #expect(model.fit?.converged == true, "\(String(describing: model.fit))")
        // lifetimes' conditional_expected_average_profit for customer 1 (x = 2, m̄ = 22.35): 24.654.
        #expect(abs(model.expectedSpend(.init(frequency: 2, meanSpend: 22.35)) - 24.654) < 0.01)
        #expect(abs(model.expectedSpend(.init(frequency: 0, meanSpend: 0)) - model.p * model.v / (model.q - 1)) < 1e-12)
    }

    @Test func fitsAreTheSameToTheLastDigitWhateverTheOrder() throws {
        guard let rows = Self.cdnow() else { return }
        var shuffled = rows
        var random = SeededRandom(seed: 12)
        shuffled.shuffle(using: &random)
        let a = BetaGeometricNBD.fit(rows.map(\.bg)), b = BetaGeometricNBD.fit(shuffled.map(\.bg))
        #expect(a == b, "BG/NBD: \(a) vs \(b)")
        #expect(a.fit?.converged == true && (a.fit?.iterations ?? 0) > 0)
        #expect(try GammaGamma.fit(rows.map(\.gg)) == GammaGamma.fit(shuffled.map(\.gg)))
    }

    @Test func tooFewRepeatCustomersIsRefusedWithAReason() {
        #expect(throws: TrainingError.self) { try GammaGamma.fit([.init(frequency: 1, meanSpend: 10)]) }
    }
}
