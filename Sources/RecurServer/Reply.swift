import NIOCore

/// A reply, written as one plain line or in RESP, depending on how the request came.
public enum Reply: Sendable, Equatable {
    case simple(String)
    case text(String)
    case list([String])
    case error(code: String, message: String)

    public func write(resp: Bool, into buffer: inout ByteBuffer) {
        switch self {
        case .simple(let s):
            buffer.writeString(resp ? "+\(s)\r\n" : "\(s)\n")
        case .text(let s):
            if resp {
                buffer.writeString("$\(s.utf8.count)\r\n")
                buffer.writeString(s)
                buffer.writeString("\r\n")
            } else {
                buffer.writeString(s)
                buffer.writeString("\n")
            }
        case .list(let items):
            if resp {
                buffer.writeString("*\(items.count)\r\n")
                for item in items { buffer.writeString("$\(item.utf8.count)\r\n\(item)\r\n") }
            } else {
                buffer.writeString(items.joined(separator: " "))
                buffer.writeString("\n")
            }
        case .error(let code, let message):
            // One line, always: a message can never break the framing.
            let clean = message.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
            buffer.writeString(resp ? "-ERR \(code) \(clean)\r\n" : "ERR \(code) \(clean)\n")
        }
    }
}

import Foundation
