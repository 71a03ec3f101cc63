import Foundation
import Testing

@testable import RecurCore
@testable import RecurServer

/// PREDICT and /v1/predict: BG/NBD with Gamma-Gamma, answered equal to the artifacts' offline computation.
@Suite(.serialized) struct PredictTests {
    @Test func servedPredictionsEqualTheArtifactsOffline() throws {
        let f = try ServerTests.fixture()
        defer { ServerTests.stop(f) }
        let service = f.server.service
        let user = f.users[5]
        let at = Timestamp(year: 2025, month: 7, day: 15)!
        // No BG/NBD model yet: a refusal that names the command that makes one.
        #expect(throws: RequestError.self) { try service.predict(user, at: at) }
        do { _ = try service.predict(user, at: at) } catch let error as RequestError {
            #expect(error.code == "NO_MODEL" && error.message.contains("--model bgnbd"))
        }

        for (version, kind) in [("bg", ModelArtifact.Kind.bgnbd), ("gg", .gammagamma)] {
            var request = f.request
            request.version = version
            request.kind = kind
            let (artifact, metadata) = try ModelTrainer(request: request).train(f.data, codeVersion: "test")
            try f.registry.save(artifact, metadata: metadata)
        }
        service.predictionListing.withLockedValue { $0 = nil }
        let (bg, _) = try f.registry.load("bg"), (gg, ggMeta) = try f.registry.load("gg")
        #expect(gg.spend?.model.fit?.converged == true && ggMeta.kind == .gammagamma)

        let set = try FeatureCatalog.builtin.resolve("default@1")
        for (index, user) in f.users.prefix(30).enumerated() {
            let horizon = Double(7 + index * 11)
            let served = try service.predict(user, at: at, horizonDays: horizon, annualDiscount: 0.1)
            var state = UserFeatureState(set: set)
            for event in f.events where event.userID == user && event.timestamp < at { state.apply(event) }
            let offline = state.values(asOf: at).withUnsafeBufferPointer {
                NextPurchase.predict(features: $0, purchases: bg.bgnbd!, spend: gg.spend, horizonDays: horizon, annualDiscount: 0.1)
            }
            #expect(served.next == offline, "\(user)")
            #expect(served.purchaseModel == "bg" && served.spendModel == "gg")
            #expect(offline.pPurchase <= offline.pAlive && (offline.value ?? -1) >= 0)
            if let median = offline.daysToNextPurchaseMedian {
                let model = bg.bgnbd!.process
                let c = state.values(asOf: at).withUnsafeBufferPointer { BuyTillYouDieModel.customer($0, bg.bgnbd!.inputIndices) }
                #expect(model.probabilityOfPurchase(c, within: median + 0.01) >= 0.5 && model.probabilityOfPurchase(c, within: max(0, median - 0.02)) < 0.5)
            } else {
                #expect(offline.pAlive < 0.5)
            }
        }

        // Over HTTP and the line protocol, the same numbers.
        let expected = try service.predict(user, at: at, horizonDays: 90)
        let c = try TestClient(port: try #require(f.server.httpPort))
        let text = try #require(c.get("/v1/predict/\(user)?at=2025-07-15&horizon=90")).body
        let answer = json(text)
        let value = try #require(expected.next.value)
        #expect(jsonNumbers(text, "p_alive") == [expected.next.pAlive] && jsonNumbers(text, "value") == [value])
        #expect(answer["spend_model"] as? String == "gg")
        let batchText = try #require(c.post("/v1/predict", "{\"users\":[\"\(user)\",\"nobody\"],\"at\":\"2025-07-15\",\"horizon\":90}")).body
        let batch = json(batchText)
        let rows = batch["predictions"] as? [[String: Any]] ?? []
        #expect(rows.count == 2, "\(batch)")
        #expect(rows.count == 2 && jsonNumbers(batchText, "expected_purchases").first == expected.next.expectedPurchases && rows[1]["cold"] as? Bool == true)
        #expect(c.get("/v1/predict/\(user)?horizon=-3")?.status == 400)
        let line = try TestClient(port: f.port)
        line.send("PREDICT \(user) AT 2025-07-15 HORIZON 90\r\n")
        let words = Dictionary(
            uniqueKeysWithValues: (line.line() ?? "").split(separator: " ").map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), String(parts.count > 1 ? parts[1] : ""))
            })
        #expect(Double(words["expected_spend"] ?? "") == expected.next.expectedSpend && words["purchase_model"] == "bg")
    }
}
