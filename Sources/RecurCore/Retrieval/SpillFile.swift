import Foundation

/// One spill file: buffered appends, positioned writes and reads, closed with its owner.
final class SpillFile {
    let path: String
    private let descriptor: Int32
    private var buffer = [UInt8]()
    /// Bytes appended so far (written or still buffered).
    private(set) var size = 0

    init(path: String, size: Int = 0) throws {
        self.path = path
        descriptor = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        if size > 0 && ftruncate(descriptor, off_t(size)) != 0 {
            throw FileError.cannotOpen(path: path, reason: "cannot size the spill file: \(String(cString: strerror(errno)))")
        }
        buffer.reserveCapacity(1 << 20)
    }

    deinit { close(descriptor) }

    func append(_ bytes: [UInt8]) throws {
        buffer += bytes
        size += bytes.count
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        var written = 0
        while written < buffer.count {
            let n = buffer[written...].withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
            guard n > 0 else { throw FileError.cannotOpen(path: path, reason: "cannot write the spill file: \(String(cString: strerror(errno)))") }
            written += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    func write(_ bytes: [UInt8], at offset: Int) throws {
        let n = bytes.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, off_t(offset)) }
        guard n == bytes.count else { throw FileError.cannotOpen(path: path, reason: "cannot write the spill file: \(String(cString: strerror(errno)))") }
    }

    /// Reads a spill file front to back in large blocks, or at given places.
    final class Reader {
        let path: String
        private let descriptor: Int32
        private var block = [UInt8]()
        private var position = 0

        init(path: String) throws {
            self.path = path
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw FileError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        }

        deinit { close(descriptor) }

        /// The next `count` bytes.
        func read(_ count: Int) throws -> [UInt8] {
            if position + count > block.count {
                var next = Array(block[position...])
                let want = max(count - next.count, 1 << 20)
                let start = next.count
                next += [UInt8](repeating: 0, count: want)
                let n = next[start...].withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw FileError.cannotOpen(path: path, reason: "cannot read the spill file: \(String(cString: strerror(errno)))") }
                next.removeLast(want - n)
                block = next
                position = 0
                guard count <= block.count else { throw FileError.cannotOpen(path: path, reason: "the spill file ended early") }
            }
            defer { position += count }
            return Array(block[position..<(position + count)])
        }

        /// `count` bytes at `offset`.
        func read(_ count: Int, at offset: Int) throws -> [UInt8] {
            var bytes = [UInt8](repeating: 0, count: count)
            let n = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
            guard n == count else { throw FileError.cannotOpen(path: path, reason: "the spill file ended early") }
            return bytes
        }
    }
}
