/// PostgreSQL array literals, so a whole list travels as one query parameter (`$1::text[]`).
public enum ArrayLiteral {
    /// `{"a","b"}`, each value quoted and escaped.
    public static func text(_ values: [String]) -> String {
        "{" + values.map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",")
            + "}"
    }

    /// `{1,2,3}`; nil is NULL.
    public static func integers(_ values: [Int64?]) -> String { "{" + values.map { $0.map(String.init) ?? "NULL" }.joined(separator: ",") + "}" }
}
