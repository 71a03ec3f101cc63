import Testing

@testable import RecurCore

/// The join's disk reorder: rows in input order, answers in any order, read back paired.
struct JoinSpillTests {
    @Test func answersInAnyOrderComeBackWithTheirRowsInInputOrder() throws {
        var random = SystemRandomNumberGenerator()
        let spill = try JoinSpill()
        // Long enough to cross the 1 MiB buffers several times; some rows are never answered.
        var expected: [(String, [UInt8])] = []
        for k in 0..<20_000 {
            let text = "row \(k)," + String(repeating: "é\n\"", count: Int.random(in: 0...40, using: &random))
            #expect(try spill.addRow(Array(text.utf8)) == k)
            let answer = k % 97 == 0 ? [] : (0..<Int.random(in: 1...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            expected.append((text, answer))
        }
        for k in (0..<expected.count).shuffled(using: &random) where !expected[k].1.isEmpty {
            try spill.setAnswer(k, expected[k].1)
        }
        var seen = 0
        try spill.forEachRow { text, answer in
            #expect(String(decoding: text, as: UTF8.self) == expected[seen].0)
            #expect(answer == expected[seen].1)
            seen += 1
        }
        #expect(seen == expected.count)
    }

    @Test func rowsWithoutAnyAnswerComeBackEmpty() throws {
        let spill = try JoinSpill()
        for k in 0..<3 { _ = try spill.addRow(Array("r\(k)".utf8)) }
        var texts: [String] = []
        try spill.forEachRow { text, answer in
            #expect(answer.isEmpty)
            texts.append(String(decoding: text, as: UTF8.self))
        }
        #expect(texts == ["r0", "r1", "r2"])
    }
}
