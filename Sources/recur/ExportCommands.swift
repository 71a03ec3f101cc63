import ArgumentParser
import Foundation
import RecurCore

/// `recur export …`: the same rows Recur trains on, for notebooks and other libraries.
struct ExportCommands: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export data for notebooks.", subcommands: [ExportDataset.self])
}

/// `recur export dataset`: a training set as CSV.
struct ExportDataset: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataset",
        abstract: "Write a training set as CSV: user_id,cutoff,<features…>,label (empty = undefined)."
    )
    @OptionGroup var store: StoreOptions
    @OptionGroup var data: TrainingSetOptions
    @Option(name: .shortAndLong, help: "Output file (default: notebooks-export/dataset-<set>-<horizon>.csv).") var output: String?

    func run() throws {
        let opened = try store.open()
        let (set, _, rows) = try data.load(store: opened)
        let path = output ?? "notebooks-export/dataset-\(set.name)-\(set.version)-\(data.horizon).csv"
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) }
        let file = try OutputFile(path: path)
        var buffer = [UInt8]()
        buffer.append(contentsOf: Array((["user_id", "cutoff"] + rows.featureNames + ["label"]).joined(separator: ",").utf8))
        buffer.append(10)
        let p = rows.featureNames.count
        for i in 0..<rows.rows {
            buffer.append(contentsOf: Array(CSVText.field(rows.users[i]).utf8)); buffer.append(44)
            buffer.append(contentsOf: Array(Timestamp(microseconds: rows.cutoffs[i]).iso8601.utf8))
            for j in 0..<p {
                buffer.append(44)
                let v = rows.features[i * p + j]
                if !v.isNaN { buffer.append(contentsOf: Array(String(v).utf8)) }
            }
            buffer.append(44); buffer.append(rows.labels[i] == 1 ? 49 : 48); buffer.append(10)
            if buffer.count > 1 << 20 { try file.write(buffer); buffer.removeAll(keepingCapacity: true) }
        }
        try file.write(buffer)
        printError("wrote \(rows.rows) rows × \(p) features to \(path)")
    }
}
