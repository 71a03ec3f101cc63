import Foundation

/// Scores made elsewhere (a notebook, another system), read from a CSV of user, cutoff and one
/// column per model, and matched to the evaluation rows by (user, cutoff).
public struct ExternalScores: Sendable {
    public var path: String
    public var modelNames: [String]
    /// (user, cutoff in microseconds, or nil when the file has no cutoff column) → one score per model; NaN = empty.
    public var rows: [ScoreKey: [Double]]
    public var fileRows: Int

    /// The row a score belongs to.
    public struct ScoreKey: Hashable, Sendable {
        public var user: String
        public var cutoff: Int64?
    }

    /// How the file's rows met the evaluation rows; nothing unmatched goes unreported.
    public struct Matching: Sendable, Codable, Equatable {
        public var file: String
        public var fileRows: Int
        public var matched: Int
        /// File rows whose (user, cutoff) is not an evaluation row.
        public var unmatchedFileRows: Int
        /// Evaluation rows the file gives no score for (or an empty one), left out of every model.
        public var evaluationRowsWithoutScore: Int

        enum CodingKeys: String, CodingKey {
            case file, fileRows = "file_rows", matched, unmatchedFileRows = "unmatched_file_rows"
            case evaluationRowsWithoutScore = "evaluation_rows_without_score"
        }
    }

    public static func read(path: String) throws -> ExternalScores {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ComparisonError.scoresFile(path: path, line: 0, message: "cannot read the file")
        }
        let text = String(decoding: data, as: UTF8.self)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws -> ExternalScores {
        let splitter = FieldSplitter(.comma)
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }).map { $0.hasSuffix("\r") ? String($0.dropLast()) : String($0) }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let headerLine = lines.first, let header = splitter.split(headerLine.hasPrefix("\u{FEFF}") ? String(headerLine.dropFirst()) : headerLine) else {
            throw ComparisonError.scoresFile(path: path, line: 1, message: "no header; expected user,cutoff,MODEL[,MODEL…]")
        }
        let lowered = header.map { $0.lowercased() }
        guard let userColumn = lowered.firstIndex(where: { ["user", "user_id", "userid"].contains($0) }) else {
            throw ComparisonError.scoresFile(path: path, line: 1, message: "no user column (user or user_id) in the header \(header.joined(separator: ","))")
        }
        let cutoffColumn = lowered.firstIndex(where: { ["cutoff", "as_of", "asof"].contains($0) })
        let modelColumns = header.indices.filter { $0 != userColumn && $0 != cutoffColumn && !["label"].contains(lowered[$0]) }
        guard !modelColumns.isEmpty else { throw ComparisonError.scoresFile(path: path, line: 1, message: "no score columns besides user and cutoff") }
        let names = modelColumns.map { header[$0] }
        if let duplicate = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
            throw ComparisonError.scoresFile(path: path, line: 1, message: "column \(duplicate) appears twice")
        }
        var rows = [ScoreKey: [Double]](minimumCapacity: lines.count)
        for (offset, line) in lines.enumerated().dropFirst() where !line.isEmpty {
            let number = offset + 1
            guard let fields = splitter.split(line) else { throw ComparisonError.scoresFile(path: path, line: number, message: "a quoted field is not closed") }
            guard fields.count == header.count else {
                throw ComparisonError.scoresFile(path: path, line: number, message: "\(fields.count) fields where the header has \(header.count)")
            }
            let user = fields[userColumn]
            guard !user.isEmpty else { throw ComparisonError.scoresFile(path: path, line: number, message: "empty user") }
            var cutoff: Int64?
            if let cutoffColumn {
                guard let time = DateText.parse(fields[cutoffColumn]) else {
                    throw ComparisonError.scoresFile(path: path, line: number, message: "cutoff '\(fields[cutoffColumn])' is not a date or time")
                }
                cutoff = time.microseconds
            }
            var scores = [Double]()
            for (k, column) in modelColumns.enumerated() {
                let field = fields[column]
                if field.isEmpty || ["na", "nan", "null"].contains(field.lowercased()) { scores.append(.nan); continue }
                guard let value = Double(field), value.isFinite else {
                    throw ComparisonError.scoresFile(path: path, line: number, message: "score '\(field)' for \(names[k]) is not a finite number")
                }
                scores.append(value)
            }
            let key = ScoreKey(user: user, cutoff: cutoff)
            guard rows[key] == nil else {
                throw ComparisonError.scoresFile(path: path, line: number, message: "user \(user) appears twice\(cutoff == nil ? "" : " for one cutoff")")
            }
            rows[key] = scores
        }
        return ExternalScores(path: path, modelNames: names, rows: rows, fileRows: rows.count)
    }

    /// Adds the file's columns to `set` and keeps only the rows that every column scores.
    public func merge(into set: EvaluationSet) -> (EvaluationSet, Matching) {
        var merged = set
        var columns = [[Double]](repeating: [], count: modelNames.count)
        var keep = [Bool](repeating: true, count: set.rows)
        var matched = 0
        let hasCutoff = rows.keys.first?.cutoff != nil
        for (r, user) in set.users.enumerated() {
            let key = ScoreKey(user: user, cutoff: hasCutoff ? set.cutoff.microseconds : nil)
            if let scores = rows[key] {
                matched += 1
                for k in scores.indices { columns[k].append(scores[k]); if scores[k].isNaN { keep[r] = false } }
            } else {
                for k in columns.indices { columns[k].append(.nan) }
                keep[r] = false
            }
        }
        merged.modelNames += modelNames
        merged.scores += columns
        let without = keep.filter { !$0 }.count
        let matching = Matching(file: path, fileRows: fileRows, matched: matched, unmatchedFileRows: fileRows - matched, evaluationRowsWithoutScore: without)
        if without > 0 {
            merged.exclusions.append("\(without) evaluation rows have no score in \(path) and are left out of every model")
        }
        if fileRows - matched > 0 {
            merged.exclusions.append("\(fileRows - matched) rows of \(path) match no evaluation row (user and cutoff) and are not used")
        }
        return (merged.filtered(keep), matching)
    }
}
