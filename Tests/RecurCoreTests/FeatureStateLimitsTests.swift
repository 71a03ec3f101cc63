import Testing

@testable import RecurCore

/// Valid input that once trapped: sums past Int64 cents, and damaged stored states.
@Suite struct FeatureStateLimitsTests {
    let set: FeatureSet

    init() throws { set = try FeatureCatalog.builtin.resolve("default@1") }

    @Test func ninetyFiveThousandHugePurchasesNeverTrap() throws {
        var state = UserFeatureState(set: set)
        let start = Timestamp(year: 2025, month: 1, day: 1)!.microseconds
        for i in 0..<95_000 {
            state.apply(
                Event(
                    eventID: "e\(i)", userID: "u", timestamp: Timestamp(microseconds: start + Int64(i) * 60_000_000), type: .purchase, amount: 999_999_999_999))
        }
        let asOf = Timestamp(year: 2025, month: 4, day: 1)!
        let values = Dictionary(uniqueKeysWithValues: zip(set.featureNames, state.values(asOf: asOf)))
        // 9.5e18 cents does not fit: the sum stays at the bound instead of wrapping or trapping.
        #expect(values["purchase_amount_sum_all"] == Double(Int64.max) / 100)
        #expect(values["purchase_amount_max_all"] == 999_999_999_999)
        #expect(values["purchase_count_all"] == 95_000)
        let decoded = try UserFeatureState(decoding: state.encoded(), for: set)
        #expect(decoded.values(asOf: asOf).elementsEqual(state.values(asOf: asOf)) { $0 == $1 || ($0.isNaN && $1.isNaN) })
        _ = state.valueSpan(asOf: asOf)
    }

    @Test func amountsBeyondAnyIntegerAreHeldNotTrapped() {
        #expect(Int64.cents(1e300) == .max)
        #expect(Int64.cents(-1e300) == .min)
        #expect(Int64.cents(.nan) == 0)
        #expect(Int64.cents(92_233_720_368_547_758.07) == .max)
        #expect(Int64.cents(12.345) == 1_235)
        #expect(Int64.max.saturatingAdd(1) == .max)
        #expect(Int64.min.saturatingAdd(-1) == .min)
    }

    /// A state whose times would overflow a subtraction is refused when read, not served.
    @Test func aStateWithImpossibleTimesIsRefused() {
        var state = UserFeatureState(set: set)
        state.apply(time: Timestamp.representable.upperBound, type: 2, cents: 100)
        state.apply(time: Timestamp.representable.lowerBound, type: 0, cents: 0)
        #expect((try? UserFeatureState(decoding: state.encoded(), for: set)) != nil)
        // Bytes that say a view happened near Int64.max microseconds: any recency would overflow.
        var damaged = UserFeatureState(set: set)
        damaged.apply(time: Int64.max - 5, type: 0, cents: 0)
        #expect(throws: FeatureDefinitionError.self) { try UserFeatureState(decoding: damaged.encoded(), for: set) }
    }

    @Test func importRefusesAnAmountPastTheBoundWithItsReason() {
        let interpreter = RowInterpreter(defaultType: .purchase, options: ImportOptions())
        let fields: [CanonicalField: String] = [.userID: "u", .timestamp: "2025-01-01T00:00:00Z", .amount: "2000000000000"]
        let result = interpreter.event { fields[$0] }
        guard case .failure(let rejection) = result else {
            Issue.record("accepted \(result)")
            return
        }
        #expect(rejection == .amountTooLarge("2000000000000"))
        #expect(rejection.description.contains("1000000000000"))
    }
}
