import ArgumentParser

/// A share of answers or rows: `0.01` or `1%`, more than 0 and at most 1.
struct SampleRate: ExpressibleByArgument {
    var value: Double

    init?(argument: String) {
        let percent = argument.hasSuffix("%")
        guard let number = Double(percent ? String(argument.dropLast()) : argument), number.isFinite else { return nil }
        let share = percent ? number / 100 : number
        guard share > 0, share <= 1 else { return nil }
        value = share
    }

    static var defaultValueDescription: String { "a share such as 0.01 or 1%" }
}
