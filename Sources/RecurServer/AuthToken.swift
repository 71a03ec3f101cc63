/// The server's token check, shared by `AUTH`/`HELLO … AUTH` and HTTP's bearer token.
enum AuthToken {
    /// Compares in time that depends only on the lengths, so that a wrong guess says nothing of the token.
    static func matches(_ given: String, _ expected: String) -> Bool {
        let x = Array(given.utf8), y = Array(expected.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return difference == 0
    }
}
