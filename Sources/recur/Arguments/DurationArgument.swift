import ArgumentParser
import RecurCore

/// A duration on the command line: numbers with units, as `30d`, `7d`, `1h30m`, `10s`, `250ms`; `0`
/// or `0s` (any unit) is no time at all, which options that need time refuse in `validate()`. One
/// reader for every option that takes a duration.
struct DurationArgument: ExpressibleByArgument, CustomStringConvertible, Sendable {
    var span: TimeSpan

    init(_ span: TimeSpan) { self.span = span }

    init?(argument: String) {
        if argument.first == "0" && argument.allSatisfy({ $0 == "0" || ("a"..."z").contains($0) }) {
            span = TimeSpan(microseconds: 0)
        } else if let parsed = TimeSpan(parsing: argument) {
            span = parsed
        } else {
            return nil
        }
    }

    var description: String { span.description }
    var seconds: Double { Double(span.microseconds) / 1_000_000 }
    var isPositive: Bool { span.microseconds > 0 }
    static var defaultCompletionKind: CompletionKind { .default }
}
