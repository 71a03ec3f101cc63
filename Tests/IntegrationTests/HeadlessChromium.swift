import Foundation

/// Debian's Chromium, headless: loads a page, lets its scripts run, and gives back the DOM and
/// every console message (errors included), for tests of what users see.
enum HeadlessChromium {
    struct Page {
        var dom: String
        /// Lines Chromium logged from the page's console, uncaught errors included.
        var console: [String]
    }

    static var binary: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// `url` at a window `width` px wide, after `budget` ms of the page's own (virtual) time.
    static func load(_ url: String, width: Int = 1400, budget: Int = 3000) throws -> Page {
        guard let binary else { throw Missing() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UInt32.random(in: 0...UInt32.max))").path
        process.arguments = [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0", "--user-data-dir=\(profile)",
            "--virtual-time-budget=\(budget)", "--window-size=\(width),2000", "--dump-dom", url
        ]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while it runs, so a full pipe never stalls it.
        let errors = Data.accumulate(err.fileHandleForReading)
        let dom = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: profile)
        let console = String(decoding: errors.wait(), as: UTF8.self).split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Page(dom: String(decoding: dom, as: UTF8.self), console: console)
    }

    struct Missing: Error, CustomStringConvertible {
        var description: String { "chromium is not installed: RECUR_SETUP_CLIENTS=1 ./scripts/setup.sh installs it" }
    }
}

extension Data {
    /// Reads `handle` to its end on another thread.
    fileprivate static func accumulate(_ handle: FileHandle) -> Accumulated {
        let box = Accumulated()
        Thread.detachNewThread { box.finish(handle.readDataToEndOfFile()) }
        return box
    }
}

/// Data read on another thread, waited for.
private final class Accumulated: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var data = Data()
    func finish(_ value: Data) {
        data = value
        done.signal()
    }
    func wait() -> Data {
        done.wait()
        return data
    }
}
