import ArgumentParser

/// A mistyped subcommand (`recur featurs list`) is told as such, with the closest name:
/// swift-argument-parser suggests the closest option but reports an unknown subcommand as
/// "unexpected arguments".
enum CommandSuggestion {
    /// The message for the first word that names no subcommand where one is expected, or nil.
    static func unknownSubcommand(_ arguments: [String], root: ParsableCommand.Type) -> String? {
        var command = root
        var path = [root.configuration.commandName ?? "recur"]
        for word in arguments {
            let configuration = command.configuration
            // Options, and words a command takes as its own arguments, end the walk.
            guard !word.hasPrefix("-"), !configuration.subcommands.isEmpty, configuration.defaultSubcommand == nil else { return nil }
            if let next = configuration.subcommands.first(where: { names($0).contains(word) }) {
                command = next
                path.append(word)
                continue
            }
            if word == "help" { return nil }
            let known = configuration.subcommands.map { $0._commandName }
            let closest = known.min { distance(word, $0) < distance(word, $1) }
            let hint = closest.flatMap { distance(word, $0) <= max(2, word.count / 3) ? " Did you mean '\($0)'?" : nil } ?? ""
            return "unknown command '\(word)' for '\(path.joined(separator: " "))'.\(hint) Commands: \(known.joined(separator: ", ")); "
                + "see \(path.joined(separator: " ")) --help"
        }
        return nil
    }

    static func names(_ command: ParsableCommand.Type) -> [String] {
        [command._commandName] + command.configuration.aliases
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(1, a.count) where !a.isEmpty {
            var current = [i] + [Int](repeating: 0, count: b.count)
            for j in 1...max(1, b.count) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return a.isEmpty ? b.count : previous[b.count]
    }
}
