import CZlib
import Foundation

/// A file or stdin read in chunks, gunzipped on the fly when it starts with the gzip magic bytes.
///
/// Owns the descriptor and the zlib stream; both are released in deinit.
public final class InputFile {
    public let path: String
    /// Bytes of the file itself consumed so far (compressed bytes for gzip), for progress.
    public private(set) var consumedBytes: Int64 = 0
    /// The file's size when known (regular files), for progress.
    public let totalBytes: Int64?
    public private(set) var isGzip = false

    private let descriptor: Int32
    private let ownsDescriptor: Bool
    private var raw = [UInt8](repeating: 0, count: 1 << 18)
    private var rawStart = 0, rawEnd = 0
    private var rawEOF = false
    private var stream: UnsafeMutablePointer<z_stream>?
    private var streamEnded = false

    /// Opens `path`; `-` is standard input.
    public init(path: String) throws(FileError) {
        self.path = path
        if path == "-" {
            descriptor = 0
            ownsDescriptor = false
            totalBytes = nil
        } else {
            descriptor = open(path, O_RDONLY)
            guard descriptor >= 0 else { throw .cannotOpen(path: path, reason: String(cString: strerror(errno))) }
            ownsDescriptor = true
            var info = stat()
            if fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR {
                close(descriptor)
                throw .cannotOpen(path: path, reason: "is a directory")
            }
            totalBytes = fstat(descriptor, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? Int64(info.st_size) : nil
        }
        try fillRaw()
        if rawEnd - rawStart >= 2 && raw[rawStart] == 0x1F && raw[rawStart + 1] == 0x8B {
            isGzip = true
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 + 16: a gzip header, the full window.
            guard recur_inflate_init2(stream, 15 + 16) == Z_OK else {
                stream.deallocate()
                throw .cannotRead(path: path, reason: "zlib could not start")
            }
            self.stream = stream
        }
    }

    deinit {
        if let stream {
            inflateEnd(stream)
            stream.deallocate()
        }
        if ownsDescriptor { close(descriptor) }
    }

    /// Reads up to `buffer.count` decoded bytes; 0 means the end of the input.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        if stream == nil {
            if rawStart == rawEnd { try fillRaw() }
            let count = min(buffer.count, rawEnd - rawStart)
            raw.withUnsafeBytes { source in
                buffer.baseAddress!.copyMemory(from: source.baseAddress! + rawStart, byteCount: count)
            }
            rawStart += count
            return count
        }
        return try inflate(into: buffer)
    }

    private func inflate(into buffer: UnsafeMutableRawBufferPointer) throws(FileError) -> Int {
        guard let stream else { return 0 }
        var produced = 0
        while produced == 0 {
            if streamEnded {
                // Concatenated gzip members (as `cat a.gz b.gz` makes) continue after a reset.
                if rawStart == rawEnd { try fillRaw() }
                if rawStart == rawEnd { return 0 }
                inflateReset(stream)
                streamEnded = false
            }
            if rawStart == rawEnd {
                try fillRaw()
                if rawStart == rawEnd { throw .cannotRead(path: path, reason: "gzip data ends early (truncated file?)") }
            }
            let status: Int32 = raw.withUnsafeMutableBytes { source in
                stream.pointee.next_in = (source.baseAddress! + rawStart).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_in = uInt(rawEnd - rawStart)
                stream.pointee.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: Bytef.self)
                stream.pointee.avail_out = uInt(buffer.count - produced)
                let status = CZlib.inflate(stream, Z_NO_FLUSH)
                rawStart = rawEnd - Int(stream.pointee.avail_in)
                produced = buffer.count - Int(stream.pointee.avail_out)
                return status
            }
            switch status {
            case Z_OK, Z_BUF_ERROR: continue
            case Z_STREAM_END: streamEnded = true
            default: throw .cannotRead(path: path, reason: "corrupt gzip data (zlib error \(status))")
            }
        }
        return produced
    }

    private func fillRaw() throws(FileError) {
        guard !rawEOF else { return }
        rawStart = 0
        rawEnd = 0
        while true {
            let count = raw.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .cannotRead(path: path, reason: String(cString: strerror(errno)))
            }
            if count == 0 { rawEOF = true }
            rawEnd = count
            consumedBytes += Int64(count)
            return
        }
    }
}
