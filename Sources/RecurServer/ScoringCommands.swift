import Foundation
import RecurCore

/// The commands Recur adds to the Redis vocabulary: scores, features, explanations, models, stats.
extension CommandHandler {
    func score(_ args: ArraySlice<String>) throws -> Reply {
        guard let user = args.first else { return usage("SCORE user [MODEL version] [AT time]") }
        let (model, at) = try options(args.dropFirst())
        return .score(model == nil ? try service.score(user, with: servedModel, at: at) : try service.score(user, model: model, at: at))
    }

    /// `MSCORE u1 u2 … [MODEL v] [AT t]`: the options close the list, as SCORE takes them, so a user
    /// named AT or MODEL must come before them (or be asked for with SCORE).
    func multiScore(_ args: ArraySlice<String>) throws -> Reply {
        var users = args
        var optionWords = ArraySlice<String>()
        while users.count >= 2, ["AT", "MODEL"].contains(users[users.endIndex - 2].uppercased()) {
            optionWords = users.suffix(2) + optionWords
            users = users.dropLast(2)
        }
        guard !users.isEmpty else { return usage("MSCORE user [user ...] [MODEL version] [AT time]") }
        guard users.count <= 1_000 else { return .error(code: "TOO_MANY", message: "at most 1000 users per MSCORE") }
        let (model, at) = try options(optionWords)
        let chosen = model == nil ? servedModel : try service.resolveModel(model)
        return .scores(try users.map { try service.score($0, with: chosen, at: at) })
    }

    /// A JSON object in RESP2 and plain; a RESP3 connection gets a map of doubles, nulls for undefined.
    func features(_ args: ArraySlice<String>, encoding: ReplyEncoding) throws -> Reply {
        guard let user = args.first else { return usage("FEATURES user [AT time]") }
        let (_, at) = try options(args.dropFirst())
        let (values, cold) = try service.features(of: user, at: at)
        if encoding == .resp3 {
            var pairs: [(String, Reply)] = zip(service.set.featureNames, values).map { ($0, $1.isFinite ? .double($1) : .null) }
            if cold { pairs.append(("cold", .boolean(true))) }
            return .map(pairs)
        }
        var fields = zip(service.set.featureNames, values).map { "\"\($0)\":\($1.isFinite ? String($1) : "null")" }
        if cold { fields.append("\"cold\":true") }
        return .text("{" + fields.joined(separator: ",") + "}")
    }

    /// `PREDICT user [AT t] [HORIZON days] [SPEND version] [DISCOUNT annual-rate]`: a map on RESP3,
    /// a flat name/value array on RESP2, one `name=value` line in plain mode; nil values are null.
    func predict(_ args: ArraySlice<String>, encoding: ReplyEncoding) throws -> Reply {
        guard let user = args.first else { return usage("PREDICT user [AT time] [HORIZON days] [SPEND version] [DISCOUNT rate]") }
        var at: Timestamp?, horizon: Double?, spend: String?, discount = 0.0
        var index = args.index(after: args.startIndex)
        while index < args.endIndex {
            let key = args[index].uppercased()
            guard index + 1 < args.endIndex else { throw RequestError(code: "SYNTAX", message: "\(key.prefix(20)) needs a value") }
            let value = args[index + 1]
            switch key {
            case "AT":
                guard let time = DateText.parse(value) else { throw RequestError(code: "BAD_TIME", message: "AT \(value.prefix(40)) is not a time") }
                at = time
            case "HORIZON":
                guard let days = Double(value.hasSuffix("d") ? String(value.dropLast()) : value), days.isFinite else {
                    throw RequestError(code: "BAD_HORIZON", message: "HORIZON \(value.prefix(20)) is not a number of days")
                }
                horizon = days
            case "SPEND": spend = value
            case "DISCOUNT":
                guard let rate = Double(value), rate >= 0, rate < 10 else {
                    throw RequestError(code: "SYNTAX", message: "DISCOUNT \(value.prefix(20)) is not an annual rate such as 0.1")
                }
                discount = rate
            default: throw RequestError(code: "SYNTAX", message: "unknown option \(key.prefix(20)); expected AT, HORIZON, SPEND or DISCOUNT")
            }
            index += 2
        }
        let prediction = try service.predict(user, at: at, horizonDays: horizon, spend: spend, annualDiscount: discount)
        var pairs = prediction.next.fields.map { ($0.name, $0.value.map { Reply.double($0) } ?? .null) }
        pairs += [
            ("purchase_model", .text(prediction.purchaseModel)), ("spend_model", prediction.spendModel.map { .text($0) } ?? .null),
            ("cold", .boolean(prediction.cold))
        ]
        switch encoding {
        case .resp3: return .map(pairs)
        case .resp2:
            return .array(
                pairs.flatMap { name, value -> [Reply] in
                    switch value {
                    case .double(let d): [.text(name), .text(String(d))]
                    case .boolean(let b): [.text(name), .text(b ? "1" : "0")]
                    default: [.text(name), value]
                    }
                })
        case .plain:
            return .text(
                pairs.map { name, value -> String in
                    switch value {
                    case .double(let d): "\(name)=\(d)"
                    case .text(let t): "\(name)=\(t)"
                    case .boolean(let b): "\(name)=\(b)"
                    default: "\(name)=null"
                    }
                }.joined(separator: " "))
        }
    }

    func models() -> Reply {
        let stored = service.storedModels
        return .list(["serving=\(service.model.version)"] + stored.aliases.map { "\($0.alias)=\($0.version)" } + stored.versions)
    }

    /// JSON in RESP2 and plain, a map in RESP3.
    func stats(encoding: ReplyEncoding) -> Reply {
        let fresh = service.freshness
        let (loaded, expected) = service.loadProgress
        if encoding == .resp3 {
            return .map([
                ("ready", .boolean(service.isReady)), ("loading_users", .integer(loaded)), ("loading_expected_users", .integer(expected)),
                ("users", .integer(service.userCount)), ("model", .text(service.model.version)), ("feature_set", .text(service.set.reference)),
                ("uptime_s", .integer(Int(service.uptime))), ("feature_update_age_s", fresh.updateAge.isFinite ? .double(fresh.updateAge) : .null),
                ("catch_up_age_s", .double(fresh.catchUpAge)), ("requests", .integer(metrics.total))
            ])
        }
        let text =
            "{\"ready\":\(service.isReady),\"loading_users\":\(loaded),\"loading_expected_users\":\(expected),\"users\":\(service.userCount),\"model\":\"\(service.model.version)\",\"feature_set\":\"\(service.set.reference)\","
            + "\"uptime_s\":\(Int(service.uptime)),\"feature_update_age_s\":\(fresh.updateAge.isFinite ? String(format: "%.1f", fresh.updateAge) : "null"),"
            + "\"catch_up_age_s\":\(String(format: "%.1f", fresh.catchUpAge)),\"requests\":\(metrics.total)}"
        return .text(text)
    }

    /// `MODEL version` and `AT time`, in any order.
    private func options(_ args: ArraySlice<String>) throws -> (String?, Timestamp?) {
        var model: String?, at: Timestamp?
        var index = args.startIndex
        while index < args.endIndex {
            let key = args[index].uppercased()
            guard index + 1 < args.endIndex else { throw RequestError(code: "SYNTAX", message: "\(key) needs a value") }
            let value = args[index + 1]
            switch key {
            case "MODEL": model = value
            case "AT":
                guard let time = DateText.parse(value) else { throw RequestError(code: "BAD_TIME", message: "AT \(value.prefix(40)) is not a time") }
                at = time
            default: throw RequestError(code: "SYNTAX", message: "unknown option \(key.prefix(20)); expected MODEL or AT")
            }
            index += 2
        }
        return (model, at)
    }
}
