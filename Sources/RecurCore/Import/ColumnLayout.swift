import Foundation

/// Which position of a delimited record holds which canonical field, and whether line one is a header.
struct ColumnLayout {
    var positions: [CanonicalField: Int]
    /// Fields per record; records with another count are rejected.
    var width: Int
    var firstRecordIsHeader: Bool
    /// Header columns that map to nothing, reported once so that a typo does not go unnoticed.
    var ignoredColumns: [String]

    /// Positions indexed by `CanonicalField.ordinal`, -1 for unmapped: a dictionary lookup per field was measurable.
    var positionTable: [Int] {
        var table = [Int](repeating: -1, count: CanonicalField.allCases.count)
        for (field, index) in positions { table[field.ordinal] = index }
        return table
    }

    static func resolve(firstRecord fields: [String], options: ImportOptions, source: String) throws(ImportError) -> ColumnLayout {
        let headerMatches = fields.filter { isHeaderName($0, renames: options.renames) }.count
        let looksLikeHeader = headerMatches > 0 && !fields.contains { DateText.parse($0) != nil }

        if let columns = options.columns {
            var positions = [CanonicalField: Int]()
            for (index, name) in columns.enumerated() {
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed == "_" || trimmed == "-" { continue }
                guard let field = CanonicalField(rawValue: trimmed) ?? CanonicalField.matching(trimmed) else {
                    throw .unknownColumnName(source: source, name: trimmed)
                }
                positions[field] = index
            }
            let header: Bool =
                switch options.header {
                case .present: true
                case .absent: false
                case .auto: looksLikeHeader && headerMatches * 2 >= fields.count
                }
            return try checked(
                ColumnLayout(positions: positions, width: columns.count, firstRecordIsHeader: header, ignoredColumns: []),
                options: options, source: source, header: columns)
        }

        guard options.header != .absent else { throw .noHeader(source: source) }
        guard options.header == .present || looksLikeHeader else { throw .noHeader(source: source) }
        var positions = [CanonicalField: Int]()
        var ignored = [String]()
        let renamed = Dictionary(options.renames.map { (CanonicalField.normalize($0.value), $0.key) }, uniquingKeysWith: { a, _ in a })
        for (index, name) in fields.enumerated() {
            let key = CanonicalField.normalize(name)
            if let field = renamed[key] {
                positions[field] = index
            } else if let field = CanonicalField.matching(name), positions[field] == nil, !options.renames.keys.contains(field) {
                positions[field] = index
            } else {
                ignored.append(name)
            }
        }
        return try checked(
            ColumnLayout(positions: positions, width: fields.count, firstRecordIsHeader: true, ignoredColumns: ignored),
            options: options, source: source, header: fields)
    }

    static func isHeaderName(_ name: String, renames: [CanonicalField: String]) -> Bool {
        CanonicalField.matching(name) != nil || renames.values.contains { CanonicalField.normalize($0) == CanonicalField.normalize(name) }
    }

    private static func checked(_ layout: ColumnLayout, options: ImportOptions, source: String, header: [String]) throws(ImportError) -> ColumnLayout {
        for field in [CanonicalField.userID, .timestamp] where layout.positions[field] == nil {
            throw .missingColumn(source: source, field: field, header: header)
        }
        if layout.positions[.eventType] == nil && options.eventType == nil
            && layout.positions[.amount] == nil && layout.positions[.price] == nil
        {
            throw .missingColumn(source: source, field: .eventType, header: header)
        }
        return layout
    }
}
