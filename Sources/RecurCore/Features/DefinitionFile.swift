import TOMLKit

/// One definitions file (feature sets, rollups) being read: its TOML decoded into a shape, and
/// mistakes that name the file, the line and what was expected.
struct DefinitionFile {
    let path: String
    let text: String
    private let lines: [String]

    init(path: String, text: String) {
        self.path = path
        self.text = text
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The first line at or after `start` (0-based) that contains `needle`, 1-based; else `start`.
    func line(of needle: String, after start: Int = 0) -> Int {
        for index in start..<lines.count where lines[index].contains(needle) { return index + 1 }
        return max(1, start)
    }

    func fail(_ line: Int, _ message: String) -> FeatureDefinitionError { .invalid(path: path, line: line, message: message) }

    func decode<Shape: Decodable>(_ shape: Shape.Type) throws(FeatureDefinitionError) -> Shape {
        do {
            _ = try TOMLTable(string: text)
            return try TOMLDecoder().decode(Shape.self, from: text)
        } catch let error as TOMLParseError {
            throw fail(error.source.begin.line, "not valid TOML: \(error.description)")
        } catch {
            throw fail(1, "unexpected structure: \(error)")
        }
    }
}
