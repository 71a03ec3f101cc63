import ArgumentParser
import RecurCore

/// A time on the command line: a date, a date and time (UTC unless it says otherwise), or `now`.
struct TimeArgument: ExpressibleByArgument {
    var timestamp: Timestamp

    init?(argument: String) {
        if argument == "now" {
            timestamp = .now
        } else if let time = DateText.parse(argument) {
            timestamp = time
        } else {
            return nil
        }
    }

    static var defaultCompletionKind: CompletionKind { .default }
}
