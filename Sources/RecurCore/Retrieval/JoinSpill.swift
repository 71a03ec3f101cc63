import Foundation

/// Where `features join` keeps its rows' text while PostgreSQL merges the questions with the events:
/// on disk, so memory stays bounded whatever the number of rows.
///
/// The input part of each row is written once, in input order. Answers arrive in (user, time)
/// order; each is appended to a second file and its place recorded at its row's slot in an index
/// file, so the output is read back in input order with one positioned read per row and no sort.
final class JoinSpill {
    private let directory: String
    private let passthrough: SpillFile
    private let answers: SpillFile
    private var index: SpillFile?
    private var rows = 0
    private var pending = [UInt8]()

    /// The bytes per index slot: the answer's offset (8) and length (4).
    private static let slot = 12

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("recur-join-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        } catch {
            throw FileError.cannotOpen(path: directory, reason: "cannot create the join's spill folder: \(error.localizedDescription)")
        }
        passthrough = try SpillFile(path: directory + "/rows")
        answers = try SpillFile(path: directory + "/answers")
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// The input part of the next row (rows are numbered 0, 1, … in the order they are added).
    func addRow(_ bytes: [UInt8]) throws -> Int {
        var length = UInt32(bytes.count).bigEndian
        try withUnsafeBytes(of: &length) { try passthrough.append(Array($0)) }
        try passthrough.append(bytes)
        defer { rows += 1 }
        return rows
    }

    /// The answer part of row `row` (any order).
    func setAnswer(_ row: Int, _ bytes: [UInt8]) throws {
        if index == nil {
            try passthrough.flush()
            index = try SpillFile(path: directory + "/index", size: rows * Self.slot)
        }
        let offset = answers.size
        try answers.append(bytes)
        var entry = [UInt8](repeating: 0, count: Self.slot)
        for k in 0..<8 { entry[k] = UInt8(truncatingIfNeeded: UInt64(offset) >> (56 - 8 * k)) }
        for k in 0..<4 { entry[8 + k] = UInt8(truncatingIfNeeded: UInt32(bytes.count + 1) >> (24 - 8 * k)) }
        try index!.write(entry, at: row * Self.slot)
    }

    /// Every row in input order, its input part then its answer (empty for a row never answered).
    func forEachRow(_ body: ([UInt8], [UInt8]) throws -> Void) throws {
        try passthrough.flush()
        try answers.flush()
        let rowsIn = try SpillFile.Reader(path: directory + "/rows")
        let slots = try index.map { _ in try SpillFile.Reader(path: directory + "/index") }
        let answerFile = try SpillFile.Reader(path: directory + "/answers")
        for _ in 0..<rows {
            let length = try rowsIn.read(4).reduce(0) { $0 << 8 | Int($1) }
            let text = try rowsIn.read(length)
            var answer: [UInt8] = []
            if let slots {
                let entry = try slots.read(Self.slot)
                let offset = entry[0..<8].reduce(0) { $0 << 8 | Int($1) }
                let stored = entry[8..<12].reduce(0) { $0 << 8 | Int($1) }
                if stored > 0 { answer = try answerFile.read(stored - 1, at: offset) }
            }
            try body(text, answer)
        }
    }
}
