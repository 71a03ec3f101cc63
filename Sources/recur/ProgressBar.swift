import Foundation

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
final class ProgressBar {
    private var drawn = false

    /// nil when stderr is not a terminal, so logs and pipes stay clean; `recur demo` sets
    /// RECUR_PROGRESS=1 for its steps when it forwards their stderr to a terminal.
    static func forStandardError() -> ProgressBar? {
        isatty(2) == 1 || ProcessInfo.processInfo.environment["RECUR_PROGRESS"] == "1" ? ProgressBar() : nil
    }

    func update(label: String, fraction: Double?, detail: String) {
        var line = "\r\u{1B}[2K" + label.suffix(30) + " "
        if let fraction {
            let width = 30, filled = Int((min(1, max(0, fraction)) * Double(width)).rounded())
            line += "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] "
            line += String(format: "%3.0f%% ", fraction * 100)
        }
        line += detail
        FileHandle.standardError.write(Data(line.utf8))
        drawn = true
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
        drawn = false
    }
}
