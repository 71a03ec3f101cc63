import NIOCore
import NIOHTTP1
import RecurCore

/// A response: status, JSON body, and headers the route needs beyond the usual ones.
struct HTTPAnswer: Sendable {
    var status: HTTPResponseStatus
    var body: [UInt8]
    var headers: [(String, String)] = []
    /// JSON for the API; HTML only for the live page.
    var isHTML = false

    /// `{"error":{"code":"SYNTAX","message":"…"}}`, with the line protocol's codes.
    /// An error answer with `Connection: close`, as bytes: what a connection hears before it is closed.
    static func farewell(_ status: HTTPResponseStatus, _ code: String, _ message: String, _ allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: 256)
        error(status, code, message).write(version: .http1_1, keepAlive: false, headOnly: false, into: &out)
        return out
    }

    static func error(_ status: HTTPResponseStatus, _ code: String, _ message: String) -> HTTPAnswer {
        var json = JSONWriter()
        json.beginObject()
        json.key("error")
        json.beginObject()
        json.field("code", code)
        json.field("message", message)
        json.endObject()
        json.endObject()
        return HTTPAnswer(status: status, body: json.bytes, headers: status == .unauthorized ? [("WWW-Authenticate", "Bearer")] : [])
    }

    /// The whole response, head and body, appended to `out`.
    ///
    /// Written by hand rather than through NIO's HTTPResponseEncoder: the head is a status line,
    /// three constant header names and a length, and going through `HTTPHeaders` and three
    /// pipeline writes per answer cost about a sixth of the HTTP API's serving time (measured
    /// under wrk, docs/benchmarks.md). Route headers are constants of this module, never caller text.
    func write(version: HTTPVersion, keepAlive: Bool, headOnly: Bool, into out: inout ByteBuffer) {
        out.writeStaticString(version.minor == 0 ? "HTTP/1.0 " : "HTTP/1.1 ")
        out.writeString(String(status.code))
        out.writeStaticString(" ")
        out.writeString(status.reasonPhrase)
        out.writeStaticString(
            isHTML ? "\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: " : "\r\ncontent-type: application/json\r\ncontent-length: ")
        out.writeString(String(body.count))
        out.writeStaticString("\r\n")
        for (name, value) in headers {
            out.writeString(name)
            out.writeStaticString(": ")
            out.writeString(value)
            out.writeStaticString("\r\n")
        }
        if !keepAlive {
            out.writeStaticString("connection: close\r\n")
        } else if version.minor == 0 {
            out.writeStaticString("connection: keep-alive\r\n")
        }
        out.writeStaticString("\r\n")
        if !headOnly { out.writeBytes(body) }
    }
}
