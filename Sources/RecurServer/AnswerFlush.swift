import NIOCore

extension ChannelHandlerContext {
    /// Writes the answers a read produced in one flush and, when the connection is to end, closes
    /// it once they are written (or at once when there are none). Both protocols answer this way.
    ///
    /// The caller lets go of its stored buffer first: writing can call back into its handler
    /// (a change of writability turns reading back on), which would find the buffer still held.
    func flushAnswers(_ answers: ByteBuffer?, thenClose close: Bool) {
        if let out = answers, out.readableBytes > 0 {
            if close {
                let channel = self.channel
                writeAndFlush(NIOAny(out)).whenComplete { _ in channel.close(promise: nil) }
            } else {
                writeAndFlush(NIOAny(out), promise: nil)
            }
        } else if close {
            self.close(promise: nil)
        }
    }
}
