/// CSV as RFC 4180 writes it, for every file Recur exports.
public enum CSVText {
    /// `text` as one field: quoted (quotes doubled) when it holds a comma, quote, CR or LF, or when
    /// it starts or ends with a space that a reader would trim; as it is otherwise.
    public static func field(_ text: String) -> String {
        let needsQuotes = text.utf8.contains { $0 == 44 || $0 == 34 || $0 == 10 || $0 == 13 } || text.first == " " || text.last == " "
        return needsQuotes ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
    }
}
