import Foundation

/// The command examples of the project's Markdown: fenced blocks (```sh ones are run as written,
/// any other kind only checked) and inline `recur …` spans, each with where it was found.
struct DocExamples {
    /// A fenced code block.
    struct Block {
        var file: String
        var line: Int
        var language: String
        var text: String
        var runs: Bool { language == "sh" }
    }

    /// One `recur …` command found in a block, an inline span or a command's help.
    struct Command: CustomStringConvertible {
        var place: String
        var text: String
        var description: String { "\(place): \(text)" }
    }

    var blocks: [Block] = []
    var inline: [Command] = []

    /// The Markdown files whose examples users copy: README.md, docs/ and the models folder's README.
    static func files(in root: URL) -> [URL] {
        let docs = root.appendingPathComponent("docs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: docs.path)) ?? []
        return [root.appendingPathComponent("README.md"), root.appendingPathComponent("models/README.md")]
            + names.filter { $0.hasSuffix(".md") }.sorted().map { docs.appendingPathComponent($0) }
    }

    init(files: [URL], relativeTo root: URL) throws {
        for url in files {
            let name = String(url.path.dropFirst(root.path.count + 1))
            let lines = try String(contentsOf: url, encoding: .utf8).components(separatedBy: "\n")
            var open: Block?
            for (index, line) in lines.enumerated() {
                if line.hasPrefix("```") {
                    if let block = open {
                        blocks.append(block)
                        open = nil
                    } else {
                        open = Block(file: name, line: index + 1, language: String(line.dropFirst(3)).trimmingCharacters(in: .whitespaces), text: "")
                    }
                } else if open != nil {
                    open!.text += line + "\n"
                } else {
                    for match in line.matches(of: /`(recur [^`]+)`/) {
                        inline.append(Command(place: "\(name):\(index + 1)", text: String(match.1)))
                    }
                }
            }
        }
    }

    /// The `recur` commands of a block, continuation lines joined, each at its line.
    static func commands(in block: Block) -> [Command] {
        commands(in: block.text, place: { "\(block.file):\(block.line + 1 + $0)" })
    }

    static func commands(in text: String, place: (Int) -> String) -> [Command] {
        var found: [Command] = []
        var pending: (line: Int, text: String)?
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            if var command = pending {
                command.text += " " + raw.trimmingCharacters(in: .whitespaces)
                pending = command
            } else if let match = raw.firstMatch(of: /(?:^\s*(?:[A-Z_][A-Z0-9_]*=\S*\s+)*|\$\(|[|;&]\s*|Examples?:\s+)(recur .*)/) {
                // Only where a shell runs a command: line start (after VAR=value), `$(`, a pipe,
                // `&&` or `;`, or a help text's "Example:" — not an argument such as `-d recur`.
                pending = (index, String(match.1))
            }
            guard let command = pending else { continue }
            if command.text.hasSuffix("\\") {
                pending!.text.removeLast()
            } else {
                found.append(Command(place: place(command.line), text: command.text))
                pending = nil
            }
        }
        return found
    }

    /// The words that name the command (`events import`) and the long options used, from a
    /// command's text; a `#` comment, a pipe or redirection ends it.
    static func parts(of text: String, subcommands: (_ path: [String]) throws -> [String]) rethrows -> (path: [String], options: [String]) {
        var words = text.split(whereSeparator: \.isWhitespace).map(String.init).dropFirst()
        var path: [String] = []
        // Prose mentions end a name with punctuation: "(kcat, recur events produce, recur stream)".
        while let word = words.first?.trimmingCharacters(in: CharacterSet(charactersIn: ",.;:)")), try subcommands(path).contains(word) {
            path.append(word)
            words.removeFirst()
        }
        var rest = words.joined(separator: " ")
        if let comment = rest.range(of: " #") ?? (rest.hasPrefix("#") ? rest.startIndex..<rest.startIndex : nil) {
            rest = String(rest[..<comment.lowerBound])
        }
        for stop in [" | ", " > ", " >> ", " && ", " ; ", " < "] {
            if let end = rest.range(of: stop) { rest = String(rest[..<end.lowerBound]) }
        }
        let options = rest.matches(of: /(?:^|[\s\[(|])(--[a-z][a-z0-9-]*)/).map { String($0.1) }
        return (path, options)
    }
}
