import Foundation

/// The per-file state of an import: layout, derived-id counters, and the batch being built.
struct ImportSession {
    let options: ImportOptions
    let format: ImportOptions.Format
    let source: String
    var layout: ColumnLayout? {
        didSet { positions = layout?.positionTable ?? [] }
    }
    private var positions: [Int] = []
    var splitter: FieldSplitter?
    var events: [Event] = []
    var rejected: [EventLoader.RejectedRow] = []
    /// How often each derived identity was seen in this file, so identical lines stay distinct events.
    private var occurrences: [StableHash: Int] = [:]
    private let interpreter: RowInterpreter
    /// JSON keys met so far and the value slot each fills (-1: none).
    private var knownKeys: [(key: [UInt8], slot: Int)] = []
    private let purchaseInterpreter: RowInterpreter
    private let renamedKeys: [String: CanonicalField]
    private var fields: [FieldSplitter.Field] = []
    /// Whether a derived id includes the content's occurrence number in this input: right for a file,
    /// wrong for a stream, where a producer's retry repeats a message and must collapse into one event.
    var countsOccurrences = true
    /// Which field of a slash date is the day, once the input has said (or the caller found it ahead).
    var dateOrder: DateText.Order?

    init(options: ImportOptions, format: ImportOptions.Format, source: String) {
        self.options = options
        self.format = format
        self.source = source
        renamedKeys = Dictionary(options.renames.map { (CanonicalField.normalize($0.value), $0.key) }, uniquingKeysWith: { a, _ in a })
        interpreter = RowInterpreter(defaultType: options.eventType, options: options)
        purchaseInterpreter = RowInterpreter(defaultType: .purchase, options: options)
        events.reserveCapacity(options.batchSize)
    }

    /// True when rows without an event type are taken as purchases because they carry money.
    var usesDefaultPurchase: Bool {
        guard options.eventType == nil, let layout else { return false }
        return layout.positions[.eventType] == nil
    }

    /// Validates one record into the batch; returns the rejection when it was refused (a skipped
    /// type is returned too, but stored nowhere). `position` defaults to the record's line.
    mutating func take(_ record: RecordReader.Record, position: @autoclosure () -> String? = nil) -> Rejection? {
        let outcome = interpret(record)
        switch outcome {
        case .success(var event):
            if event.eventID.isEmpty { event.eventID = derivedID(event) }
            events.append(event)
            return nil
        case .failure(let rejection):
            if case .skippedEventType = rejection { return rejection }
            var hash = StableHash()
            hash.add(record.bytes)
            rejected.append(
                EventLoader.RejectedRow(
                    position: position() ?? "line \(record.line)", raw: Self.printable(record.bytes),
                    reason: rejection.description, rawHash: hash.hex))
            return rejection
        }
    }

    private mutating func interpret(_ record: RecordReader.Record) -> Result<Event, Rejection> {
        if record.isOversized { return .failure(.oversized(bytes: 1 << 20)) }
        if record.hasUnterminatedQuote { return .failure(.unterminatedQuote) }
        var ascii = true
        for byte in record.bytes {
            if byte >= 0x80 { ascii = false } else if byte < 32 && byte != 9 && byte != 13 && byte != 10 || byte == 127 { return .failure(.binaryData) }
        }
        if !ascii, String(validating: record.bytes, as: UTF8.self) == nil { return .failure(.invalidUTF8) }

        let defaultType = options.eventType ?? (usesDefaultPurchase ? .purchase : nil)
        if let splitter, let layout {
            let rowInterpreter = defaultType == options.eventType ? interpreter : RowInterpreter(defaultType: defaultType, options: options)
            guard splitter.split(record.bytes, into: &fields) else { return .failure(.unterminatedQuote) }
            guard fields.count == layout.width else { return .failure(.wrongColumnCount(expected: layout.width, found: fields.count)) }
            let positions = self.positions
            return rowInterpreter.event(order: &dateOrder) { field in
                let index = positions[field.ordinal]
                guard index >= 0 else { return nil }
                let value = FieldSplitter.text(of: fields[index], in: record.bytes)
                return value.isEmpty ? nil : value
            }
        }
        var values = Self.noValues
        do {
            try JSONLineParser.scan(record.bytes, into: &values) { key, index in jsonSlot(key, at: index) }
        } catch {
            return .failure(.invalidJSON(error.description))
        }
        var texts = [String?](repeating: nil, count: CanonicalField.allCases.count)
        for field in CanonicalField.allCases {
            switch values[field.ordinal] {
            case .text(let value)?:
                let trimmed = Self.trimmed(value)
                if !trimmed.isEmpty { texts[field.ordinal] = trimmed }
            case .nested?: return .failure(.nestedValue(field))
            case .null?, nil: break
            }
        }
        let jsonInterpreter =
            options.eventType == nil && texts[CanonicalField.eventType.ordinal] == nil
                && (texts[CanonicalField.amount.ordinal] ?? texts[CanonicalField.price.ordinal]) != nil ? purchaseInterpreter : interpreter
        return jsonInterpreter.event(order: &dateOrder) { texts[$0.ordinal] }
    }

    private static let noValues = [JSONLineParser.Value?](repeating: nil, count: CanonicalField.allCases.count)

    /// The slot of a JSON key, from the keys seen before: a producer sends the same keys in the same
    /// order, so the key at the same position usually matches at the first comparison.
    private mutating func jsonSlot(_ key: UnsafeBufferPointer<UInt8>, at index: Int) -> Int {
        func same(_ known: [UInt8]) -> Bool {
            guard known.count == key.count else { return false }
            guard let other = key.baseAddress, !known.isEmpty else { return true }  // both empty
            return known.withUnsafeBufferPointer { memcmp($0.baseAddress!, other, key.count) == 0 }
        }
        if index < knownKeys.count, same(knownKeys[index].key) { return knownKeys[index].slot }
        for known in knownKeys where same(known.key) { return known.slot }
        let slot = jsonField(String(decoding: key, as: UTF8.self))?.ordinal ?? -1
        // Bounded, so a stream of ever-new keys cannot grow it without end.
        if knownKeys.count < 64 { knownKeys.append((Array(key), slot)) }
        return slot
    }

    private mutating func jsonField(_ key: String) -> CanonicalField? {
        let normalized = CanonicalField.normalize(key)
        return renamedKeys[normalized] ?? (options.renames.keys.contains { CanonicalField.matching(key) == $0 } ? nil : CanonicalField.matching(key))
    }

    /// A content hash of the canonical event plus its occurrence number in this file: the same
    /// file imported twice gives the same ids, two identical lines in one file give two.
    private mutating func derivedID(_ event: Event) -> String {
        var hash = StableHash()
        hash.add(event.userID)
        hash.add(String(event.timestamp.microseconds))
        hash.add(event.type.rawValue)
        hash.add(event.amount.map(EventLoader.decimal))
        hash.add(String(event.quantity))
        hash.add(event.productID)
        hash.add(event.sessionID)
        hash.add(event.category)
        hash.add(event.device)
        guard countsOccurrences else { return "d" + hash.hex }
        let seen = occurrences[hash, default: 0]
        occurrences[hash] = seen + 1
        return seen == 0 ? "d" + hash.hex : "d" + hash.hex + "-\(seen + 1)"
    }

    /// The value without surrounding blanks. Foundation's trimming costs microseconds per call, so values
    /// that start and end with a plain visible ASCII character (almost all) skip it.
    static func trimmed(_ value: String) -> String {
        let utf8 = value.utf8
        guard let first = utf8.first, let last = utf8.last else { return value }
        if first > 32 && first < 0x80 && last > 32 && last < 0x80 { return value }
        return value.trimmingCharacters(in: .whitespaces)
    }

    /// Raw text as PostgreSQL can store it: invalid UTF-8 replaced, NUL dropped, at most 64 KiB.
    static func printable(_ bytes: [UInt8]) -> String {
        let kept = bytes.prefix(64 << 10).filter { $0 != 0 }
        return String(decoding: kept, as: UTF8.self)
    }
}
