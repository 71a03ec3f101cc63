import Testing

@testable import RecurServer

/// A connection's request counts, added into the server's totals after each read and cleared.
struct RequestTallyTests {
    @Test func addingAndClearingKeepEveryCountExact() {
        #expect(MeteredCommand.allCases.count <= 64, "a tally marks the commands it saw in 64 bits")
        var random = SystemRandomNumberGenerator()
        var totals = RequestTally()
        var connection = RequestTally()
        var expected = [String: UInt64]()
        for read in 0..<500 {
            for _ in 0..<Int.random(in: 0...20, using: &random) {
                let command = MeteredCommand.allCases.randomElement(using: &random)!
                let proto = MeteredProtocol.allCases.randomElement(using: &random)!
                let ok = Bool.random(using: &random)
                connection.record(command, nanoseconds: UInt64.random(in: 0...200_000_000, using: &random), protocol: proto, ok: ok)
                expected["\(proto) \(command) \(ok)", default: 0] += 1
                expected["\(command)", default: 0] += 1
            }
            totals.add(connection)
            connection.clear()
            #expect(connection.isEmpty)
            if read % 50 == 0 {
                for command in MeteredCommand.allCases { #expect(connection.count(command) == 0) }
            }
        }
        for command in MeteredCommand.allCases {
            #expect(totals.count(command) == expected["\(command)", default: 0], "\(command)")
            for proto in MeteredProtocol.allCases {
                for ok in [true, false] {
                    #expect(totals.count(proto, command, ok: ok) == expected["\(proto) \(command) \(ok)", default: 0])
                }
            }
        }
        #expect(totals.total == expected.filter { !$0.key.contains(" ") }.values.reduce(0, +))
    }
}
