import Foundation

/// Writes one line to standard error, where progress and summaries go so that stdout stays data.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
