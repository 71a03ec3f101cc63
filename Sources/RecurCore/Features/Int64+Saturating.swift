extension Int64 {
    /// `self + other`, held at `.max` or `.min` instead of trapping: a user's money sums stay answerable
    /// (at the bound, which docs/operations.md names) however many huge purchases they hold.
    @inline(__always)
    func saturatingAdd(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? (other > 0 ? .max : .min) : sum
    }

    /// Cents of an amount of money, held within ±`Int64.max`; NaN counts as none.
    static func cents(_ amount: Double) -> Int64 {
        let cents = (amount * 100).rounded()
        guard cents.isFinite else { return cents.isNaN ? 0 : (cents > 0 ? .max : .min) }
        // 2^63 is exactly representable; anything at or past it does not fit.
        if cents >= 9_223_372_036_854_775_808.0 { return .max }
        if cents < -9_223_372_036_854_775_808.0 { return .min }
        return Int64(cents)
    }
}
