import Testing

@testable import RecurCore

/// A tree model's score is remembered by the server until a feature that moves with the clock could
/// pass a split (`RowLayout.constantUntil`): everywhere before that it must be bit for bit the score.
@Suite struct ScoreConstancyTests {
    @Test func aTreeScoreIsExactlyConstantUntilTheNextSplitAnyRecencyReaches() throws {
        let set = try FeatureCatalog.builtin.resolve("default")
        let day: Int64 = 86_400_000_000
        var random = SeededRandom(seed: 77)
        let history = FeaturePropertyTests()
        let start = Timestamp(year: 2024, month: 1, day: 1)!
        var states = [UserFeatureState]()
        for _ in 0..<400 {
            var state = UserFeatureState(set: set)
            for event in history.randomHistory(&random, start: start, count: 1 + random.below(60)) { state.apply(event) }
            states.append(state)
        }
        // Train on the users' own features at several times, with labels that depend on recency,
        // so that the trees split on the moving features in their real ranges.
        var x = [Double](), y = [UInt8]()
        let cutoffs = (0..<6).map { Timestamp(microseconds: start.microseconds + Int64(60 + 40 * $0) * day) }
        let recency = try #require(set.featureNames.firstIndex(of: "days_since_last_purchase"))
        for state in states {
            for cutoff in cutoffs {
                let values = state.values(asOf: cutoff)
                x += values
                let r = values[recency]
                y.append(r.isNaN ? (random.chance(0.1) ? 1 : 0) : (random.unit() < 1 / (1 + r / 20) ? 1 : 0))
            }
        }
        var parameters = GradientBoosting.Parameters()
        parameters.trees = 40
        parameters.minSamplesPerLeaf = 5
        let (ensemble, _) = try GradientBoosting.fit(features: x, rows: y.count, names: set.featureNames, labels: y, parameters: parameters)
        let artifact = ModelArtifact(kind: .gbdt, featureSetName: set.name, featureSetVersion: set.version, featureNames: set.featureNames, gbdt: ensemble)
        let scorer = ModelScorer(artifact)
        let layout = FeatureValueSpan.RowLayout(set: set)
        var row = [UInt64](repeating: 0, count: layout.width)
        var limited = 0, checked = 0
        for state in states {
            let t0 = Timestamp(microseconds: start.microseconds + Int64(random.below(400)) * day + Int64(random.below(Int(day))))
            let span = state.valueSpan(asOf: t0)
            row.withUnsafeMutableBufferPointer { layout.store(span, into: $0.baseAddress!) }
            let values = span.values(asOf: t0)
            let p0 = artifact.probability(values)
            let until = row.withUnsafeBufferPointer { r in
                values.withUnsafeBufferPointer {
                    layout.constantUntil(row: r.baseAddress!, asOf: t0, values: $0) { scorer.nextSplit(feature: $0, atOrAbove: $1) }
                }
            }
            #expect(until >= t0.microseconds && until <= span.until)
            if until < span.until { limited += 1 }
            // Times across the whole constant stretch, its last microsecond included.
            let width = until - t0.microseconds
            guard width > 0 else { continue }
            for k in 0...20 {
                let t = Timestamp(microseconds: k == 20 ? until - 1 : t0.microseconds + Int64(Double(width) * random.unit()))
                let p = artifact.probability(span.values(asOf: t))
                #expect(p.bitPattern == p0.bitPattern, "score moved at \(t.microseconds) inside [\(t0.microseconds), \(until))")
                checked += 1
            }
        }
        #expect(limited > 50, "splits on recency and tenure bound the stretch for many users (\(limited))")
        #expect(checked > 2_000)
    }
}
