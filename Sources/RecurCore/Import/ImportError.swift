/// Why an import could not start or had to stop; rejected rows are not errors, they are counted.
public enum ImportError: Error, CustomStringConvertible {
    case mapping(path: String, line: Int, message: String)
    case missingColumn(source: String, field: CanonicalField, header: [String])
    case noHeader(source: String)
    case unknownColumnName(source: String, name: String)
    case nothingRead(source: String, reason: String)
    case database(source: String, message: String)

    public var description: String {
        switch self {
        case .mapping(let path, let line, let message):
            return "\(path):\(line): \(message)"
        case .missingColumn(let source, let field, let header):
            let shown = header.prefix(12).joined(separator: ", ")
            return "\(source): no column for \(field.rawValue) (columns: \(shown)); name it with --map \(field.rawValue)=COLUMN or --columns"
        case .noHeader(let source):
            return "\(source): the first line is not a header; give the columns with --columns user_id,ts,... (and --no-header)"
        case .unknownColumnName(let source, let name):
            let known = CanonicalField.allCases.map(\.rawValue).joined(separator: ", ")
            return "\(source): --columns names unknown field `\(name)`; expected one of \(known), or _ to skip"
        case .nothingRead(let source, let reason):
            return "\(source): nothing could be read: \(reason)"
        case .database(let source, let message):
            return "\(source): loading stopped: \(message); rows committed so far are kept and a re-run skips them"
        }
    }
}
