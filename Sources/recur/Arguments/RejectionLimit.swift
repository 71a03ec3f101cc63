import ArgumentParser

/// How many rejected rows an import tolerates before it fails: a count (`100`) or a share of the rows
/// read (`5%`, `0.05`).
struct RejectionLimit: ExpressibleByArgument, CustomStringConvertible {
    enum Limit: Equatable { case count(Int), share(Double) }
    var limit: Limit

    init(_ limit: Limit) { self.limit = limit }

    init?(argument: String) {
        if argument.hasSuffix("%") {
            guard let number = Double(argument.dropLast()), number.isFinite, number >= 0, number <= 100 else { return nil }
            limit = .share(number / 100)
        } else if let count = Int(argument), count >= 0 {
            limit = .count(count)
        } else if let share = Double(argument), share.isFinite, share >= 0, share < 1 {
            limit = .share(share)
        } else {
            return nil
        }
    }

    /// Whether `rejected` of `read` rows is over the limit.
    func isExceeded(rejected: Int, read: Int) -> Bool {
        switch limit {
        case .count(let most): rejected > most
        case .share(let most): read > 0 && Double(rejected) > most * Double(read)
        }
    }

    var description: String {
        switch limit {
        case .count(let most): "\(most)"
        case .share(let most): "\(most * 100)%"
        }
    }

    var defaultValueDescription: String { description }
}
