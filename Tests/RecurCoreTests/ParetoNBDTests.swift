import Foundation
import Testing

@testable import RecurCore

/// Pareto/NBD against the published CDNOW fit (Fader, Hardie & Lee's 2005 note on implementing it:
/// r 0.5534, α 10.5802, s 0.6061, β 11.6562, log-likelihood −9594.98).
@Suite struct ParetoNBDTests {
    @Test func theCDNOWFitEqualsThePublishedOne() throws {
        guard let customers = BetaGeometricNBDTests.cdnowSummary() else {
            if ProcessInfo.processInfo.environment["RECUR_REQUIRE_LIFETIMES"] == "1" { Issue.record("no CDNOW data in \(BetaGeometricNBDTests.dataDirectory)") }
            return
        }
        let m = try ParetoNBD.fit(customers)
        func within(_ value: Double, _ published: Double) -> Bool { abs(value - published) / published < 0.01 }
        #expect(within(m.r, 0.5534) && within(m.alpha, 10.5802) && within(m.s, 0.6061) && within(m.beta, 11.6562), "\(m)")
        #expect(abs(m.logLikelihood - -9594.98) < 0.05, "\(m.logLikelihood)")
        #expect(m.fit?.converged == true, "\(String(describing: m.fit))")
        #expect(try ParetoNBD.fit(customers.reversed()) == m, "the same digits whatever the order")
    }

    @Test func quantitiesBehave() {
        let m = ParetoNBD(r: 0.5534, alpha: 10.5802, s: 0.6061, beta: 11.6562)
        let recent = ParetoNBD.Customer(frequency: 5, recency: 38, age: 39), lapsed = ParetoNBD.Customer(frequency: 5, recency: 5, age: 39)
        #expect(m.probabilityAlive(recent) > m.probabilityAlive(lapsed))
        for c in [recent, lapsed, ParetoNBD.Customer(frequency: 0, recency: 0, age: 30)] {
            let p4 = m.probabilityOfPurchase(c, within: 4), p40 = m.probabilityOfPurchase(c, within: 40)
            #expect(p4 > 0 && p4 < p40 && p40 < m.probabilityAlive(c))
            #expect(m.expectedPurchases(c, within: 4) < m.expectedPurchases(c, within: 40))
            // Few purchases expected means P(one or more) close to the expectation, and never above it.
            #expect(p4 <= m.expectedPurchases(c, within: 4) + 1e-12)
        }
    }
}
