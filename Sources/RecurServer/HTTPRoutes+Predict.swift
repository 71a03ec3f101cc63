import Foundation
import RecurCore

extension HTTPRoutes {
    /// `GET /v1/predict/{user}?at=&horizon=&spend=&discount=`.
    func predict(user: String, query: [String: String]) throws -> HTTPAnswer {
        guard !user.isEmpty, user.utf8.count <= 1_024 else { throw RequestError(code: "SYNTAX", message: "a user id is 1 to 1024 bytes") }
        if let unknown = query.keys.filter({ !["at", "horizon", "spend", "discount"].contains($0) }).min() {
            throw RequestError(code: "SYNTAX", message: "unknown query parameter \(unknown.prefix(40)); expected at, horizon, spend, discount")
        }
        let options = try Self.predictOptions(at: query["at"], horizon: query["horizon"], discount: query["discount"])
        let prediction = try service.predict(user, at: options.at, horizonDays: options.horizon, spend: query["spend"], annualDiscount: options.discount)
        var json = JSONWriter(capacity: 384)
        json.beginObject()
        Self.fields(of: prediction, user: user, into: &json)
        json.endObject()
        return HTTPAnswer(status: .ok, body: json.bytes)
    }

    /// `POST /v1/predict` with `{"users": [...], "at", "horizon", "spend", "discount"}`: up to 1000 users.
    func predictBatch(_ body: [UInt8]) throws -> HTTPAnswer {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)), let fields = object as? [String: Any] else {
            throw RequestError(code: "BAD_JSON", message: "the body must be a JSON object {\"users\": [\"u1\", ...]}")
        }
        if let extra = Set(fields.keys).subtracting(["users", "at", "horizon", "spend", "discount"]).sorted().first {
            throw RequestError(code: "SYNTAX", message: "unknown field \(extra.prefix(40)); expected users, at, horizon, spend, discount")
        }
        guard let users = fields["users"] as? [String], !users.isEmpty else {
            throw RequestError(code: "SYNTAX", message: "users must be a non-empty array of strings")
        }
        guard users.count <= Self.maximumBatch else { throw RequestError(code: "TOO_MANY", message: "at most \(Self.maximumBatch) users per request") }
        guard fields["spend"] == nil || fields["spend"] is String else { throw RequestError(code: "SYNTAX", message: "spend must be a model version") }
        func text(_ key: String) throws -> String? {
            switch fields[key] {
            case nil: return nil
            case let value as String: return value
            case let value as NSNumber: return value.stringValue
            default: throw RequestError(code: "SYNTAX", message: "\(key) must be a string or a number")
            }
        }
        let options = try Self.predictOptions(at: try text("at"), horizon: try text("horizon"), discount: try text("discount"))
        var json = JSONWriter(capacity: 384 * users.count)
        json.beginObject()
        json.key("predictions")
        json.beginArray()
        for user in users {
            guard !user.isEmpty, user.utf8.count <= 1_024 else { throw RequestError(code: "SYNTAX", message: "a user id is 1 to 1024 bytes") }
            let prediction = try service.predict(
                user, at: options.at, horizonDays: options.horizon, spend: fields["spend"] as? String, annualDiscount: options.discount)
            json.beginObject()
            Self.fields(of: prediction, user: user, into: &json)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        return HTTPAnswer(status: .ok, body: json.bytes)
    }

    static func predictOptions(at: String?, horizon: String?, discount: String?) throws -> (at: Timestamp?, horizon: Double?, discount: Double) {
        var time: Timestamp?
        if let at {
            guard let parsed = DateText.parse(at) else { throw RequestError(code: "BAD_TIME", message: "at \(at.prefix(40)) is not a time") }
            time = parsed
        }
        var days: Double?
        if let horizon {
            guard let value = Double(horizon.hasSuffix("d") ? String(horizon.dropLast()) : horizon), value.isFinite else {
                throw RequestError(code: "BAD_HORIZON", message: "horizon \(horizon.prefix(20)) is not a number of days")
            }
            days = value
        }
        var rate = 0.0
        if let discount {
            guard let value = Double(discount), value >= 0, value < 10 else {
                throw RequestError(code: "SYNTAX", message: "discount \(discount.prefix(20)) is not an annual rate such as 0.1")
            }
            rate = value
        }
        return (time, days, rate)
    }

    static func fields(of prediction: ScoringService.Prediction, user: String, into json: inout JSONWriter) {
        json.field("user", user)
        for (name, value) in prediction.next.fields {
            json.key(name)
            if let value, value.isFinite { json.number(value) } else { json.null() }
        }
        json.field("purchase_model", prediction.purchaseModel)
        json.key("spend_model")
        if let spend = prediction.spendModel { json.string(spend) } else { json.null() }
        json.field("cold", prediction.cold)
    }
}
