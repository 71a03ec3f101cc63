import Foundation

/// A training set's feature rows on disk, row-major doubles, so that training holds one batch of
/// them at a time rather than all of them (11.1 GB at 10.3M rows of 45 features).
///
/// The file is unlinked as soon as it is opened: nothing is left behind when the process ends,
/// however it ends. Rows are appended while the set loads; afterwards the file is only read, with
/// positioned reads, so threads may share it.
public final class SpilledRows: @unchecked Sendable {
    /// Doubles per row.
    public let width: Int
    /// Where the file was made (it has no name any more): named in errors.
    public let directory: String
    private let descriptor: Int32
    private var pending = [Double]()
    /// Rows appended so far.
    public private(set) var count = 0

    /// Rows buffered before a write: about 1 MiB.
    private var bufferRows: Int { max(1, (1 << 17) / max(1, width)) }

    public init(width: Int, directory: String = FileManager.default.temporaryDirectory.path) throws {
        self.width = width
        self.directory = directory
        let path = directory + "/recur-training-rows-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw FileError.cannotOpen(
                path: path, reason: "cannot make the training rows' spill file: \(String(cString: strerror(errno))); set TMPDIR to a folder with room")
        }
        unlink(path)
        pending.reserveCapacity(bufferRows * width)
    }

    deinit { close(descriptor) }

    /// Appends one row of `width` values.
    public func append(_ row: UnsafeBufferPointer<Double>) throws {
        precondition(row.count == width)
        pending.append(contentsOf: row)
        count += 1
        if pending.count >= bufferRows * width { try flush() }
    }

    /// Writes what is buffered; reads see every appended row after this.
    public func flush() throws {
        try pending.withUnsafeBytes { bytes in
            var written = 0
            let offset = (count - pending.count / max(1, width)) * width * 8
            while written < bytes.count {
                let n = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset + written))
                guard n > 0 else { throw FileError.cannotWrite(path: directory, reason: "training rows' spill file: \(String(cString: strerror(errno)))") }
                written += n
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Reads `rows` rows from `first` into `target` (at least rows × width doubles).
    public func read(first: Int, rows: Int, into target: UnsafeMutablePointer<Double>) throws {
        precondition(pending.isEmpty, "flush before reading")
        guard first >= 0, first + rows <= count else {
            throw FileError.cannotRead(path: directory, reason: "training rows \(first)..<\(first + rows) asked of \(count)")
        }
        let bytes = rows * width * 8
        var done = 0
        while done < bytes {
            let n = pread(descriptor, UnsafeMutableRawPointer(target) + done, bytes - done, off_t(first * width * 8 + done))
            guard n > 0 else {
                let reason = n == 0 ? "the file ended early" : String(cString: strerror(errno))
                throw FileError.cannotRead(path: directory, reason: "training rows' spill file: \(reason)")
            }
            done += n
        }
    }
}
