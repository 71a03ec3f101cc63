import Foundation
import NIOHTTP1
import RecurCore

/// One HTTP request as the routes see it: already framed, bounded and complete.
struct HTTPRequest: Sendable {
    var method: HTTPMethod
    /// The target as sent, with its query.
    var uri: String
    var authorization: String?
    var body: [UInt8] = []
}

/// The HTTP API over the same scoring service as the line protocol: scores, features, models,
/// health and readiness. Pure request-to-answer, so that it can be tested without sockets.
struct HTTPRoutes: Sendable {
    let service: ScoringService
    let authToken: String?
    /// Counts wrong tokens beside the line protocol's.
    var metrics: ServerMetrics? = nil
    /// The live page's data; nil when the server was started without a store to read analytics from.
    var feed: LiveFeed? = nil
    /// Most users one `POST /v1/score` may ask for, as with MSCORE.
    static let maximumBatch = 1_000

    func answer(_ request: HTTPRequest) -> HTTPAnswer {
        let target = HTTPTarget(request.uri)
        let (path, segments, query) = (target.path, target.segments, target.query)
        // Probes answer without a token: load balancers and orchestrators send none.
        // HEAD is answered as GET; the handler leaves out the body.
        let method = request.method == .HEAD ? .GET : request.method
        if let problem = target.problem { return .error(.badRequest, "SYNTAX", problem) }
        switch (method, segments.first ?? "") {
        case (.GET, "healthz") where segments.count == 1: return ok { $0.field("status", "ok") }
        case (.GET, "readyz") where segments.count == 1: return readiness()
        case (_, "healthz") where segments.count == 1, (_, "readyz") where segments.count == 1: return methodNotAllowed("GET, HEAD")
        // The page holds no data (it asks /v1/analytics/overview, with the token when there is one).
        case (.GET, "ui") where segments.count == 1: return HTTPAnswer(status: .ok, body: LivePage.html, headers: [("cache-control", "no-store")], isHTML: true)
        case (_, "ui") where segments.count == 1: return methodNotAllowed("GET, HEAD")
        default: break
        }
        if let refusal = checkToken(request.authorization) { return refusal }
        guard segments.count >= 2, segments[0] == "v1" else { return .error(.notFound, "NOT_FOUND", "no route \(path.prefix(80)); see docs/openapi.yaml") }
        do {
            if ["score", "features", "predict", "explain"].contains(segments[1]) && !service.isReady {
                throw RequestError(code: "LOADING", message: service.loadingMessage)
            }
            if segments.count == 3, ["score", "features", "predict", "explain"].contains(segments[1]), let moved = redirect(user: segments[2], uri: request.uri)
            {
                return moved
            }
            switch (segments[1], segments.count) {
            case ("score", 3):
                guard method == .GET else { return methodNotAllowed("GET") }
                return try score(user: segments[2], query: query)
            case ("score", 2):
                guard method == .POST else { return methodNotAllowed("POST") }
                return try batch(request.body)
            case ("features", 3):
                guard method == .GET else { return methodNotAllowed("GET") }
                return try features(user: segments[2], query: query)
            case ("features", 2):
                guard method == .POST else { return methodNotAllowed("POST") }
                return try featureBatch(request.body)
            case ("feature-sets", 2):
                guard method == .GET else { return methodNotAllowed("GET") }
                return HTTPAnswer(status: .ok, body: Array(service.catalog.listingJSON))
            case ("models", 2):
                guard method == .GET else { return methodNotAllowed("GET") }
                return models()
            case ("explain", 3):
                guard method == .GET else { return methodNotAllowed("GET") }
                return try explain(user: segments[2], query: query)
            case ("predict", 3):
                guard method == .GET else { return methodNotAllowed("GET") }
                return try predict(user: segments[2], query: query)
            case ("predict", 2):
                guard method == .POST else { return methodNotAllowed("POST") }
                return try predictBatch(request.body)
            case ("analytics", 3) where segments[2] == "overview":
                guard method == .GET else { return methodNotAllowed("GET") }
                guard let feed else {
                    return .error(.notFound, "NO_ANALYTICS", "this server reads no store for analytics; start it with `recur serve --http-port`")
                }
                return HTTPAnswer(status: .ok, body: feed.overview, headers: [("cache-control", "no-store")])
            default:
                return .error(.notFound, "NOT_FOUND", "no route \(path.prefix(80)); see docs/openapi.yaml")
            }
        } catch let error as RequestError {
            return .error(Self.status(of: error.code), error.code, error.message)
        } catch {
            return .error(.notFound, "FAILED", "\(error)")
        }
    }

    /// EXPLAIN over HTTP: the largest log-odds contributions (or a buy-till-you-die model's quantities), `top` of them (1 to 50, default 5).
    private func explain(user: String, query: [String: String]) throws -> HTTPAnswer {
        var top = 5
        if let text = query["top"] {
            guard let n = Int(text), (1...50).contains(n) else { throw RequestError(code: "SYNTAX", message: "top must be a whole number from 1 to 50") }
            top = n
        }
        let answer = try service.explanation(user, at: try time(query["at"]), top: top)
        return ok { json in
            json.field("user", user)
            json.field("model", answer.version)
            json.field("cold", answer.cold)
            json.field("known", !answer.cold)
            json.key("contributions")
            json.beginArray()
            for c in answer.contributions {
                json.beginObject()
                json.field("feature", c.feature)
                json.field("contribution", c.contribution)
                json.endObject()
            }
            json.endArray()
        }
    }

    /// A cluster node's answer for another node's user: a 307 redirect to that node's HTTP port when the
    /// cluster file names it (clients follow redirects; a proxy would add a hop and hide the layout),
    /// else 421 Misdirected Request with the node's line-protocol address.
    private func redirect(user: String, uri: String) -> HTTPAnswer? {
        guard let (slot, primary) = service.cluster?.elsewhere(user) else { return nil }
        if let port = primary.httpPort {
            var answer = HTTPAnswer.error(.temporaryRedirect, "MOVED", "user \(user.prefix(40)) is in slot \(slot), served by \(primary.host):\(port)")
            answer.headers.append(("location", "http://\(primary.host):\(port)\(uri)"))
            return answer
        }
        return .error(.misdirectedRequest, "MOVED", "\(slot) \(primary.host):\(primary.port)")
    }

    /// The command a route answers as, for the request metrics: the line protocol's name where there is one.
    static func meteredCommand(_ method: HTTPMethod, _ segments: [String]) -> MeteredCommand {
        switch (segments.first ?? "", segments.count) {
        case ("healthz", 1): return .healthz
        case ("readyz", 1): return .readyz
        case ("ui", 1): return .ui
        case ("v1", 3) where segments[1] == "score": return .score
        case ("v1", 2) where segments[1] == "score": return .mscore
        case ("v1", 2...3) where segments[1] == "features": return .features
        case ("v1", 2) where segments[1] == "feature-sets": return .featureSets
        case ("v1", 2) where segments[1] == "models": return .models
        case ("v1", 2...3) where segments[1] == "predict": return .predict
        case ("v1", 3) where segments[1] == "explain": return .explain
        case ("v1", 3) where segments[1] == "analytics": return .analytics
        default: return .unknown
        }
    }

    private func checkToken(_ authorization: String?) -> HTTPAnswer? {
        guard let expected = authToken else { return nil }
        guard let header = authorization else { return .error(.unauthorized, "NOAUTH", "authentication required: Authorization: Bearer <token>") }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer",
            AuthToken.matches(parts[1].trimmingCharacters(in: .whitespaces), expected)
        else {
            metrics?.authFailed()
            return .error(.unauthorized, "WRONGPASS", "wrong token")
        }
        return nil
    }

    private func score(user: String, query: [String: String]) throws -> HTTPAnswer {
        try checkUser(user)
        let at = try time(query["at"])
        if let unknown = query.keys.filter({ $0 != "at" && $0 != "model" }).min() {
            throw RequestError(code: "SYNTAX", message: "unknown query parameter \(unknown.prefix(40)); expected at, model")
        }
        let result = try service.score(user, model: query["model"], at: at)
        return ok { json in Self.fields(of: result, user: user, into: &json) }
    }

    /// `{"users": [...], "at": "…", "model": "…"}`; any other key is refused, not ignored.
    private func batch(_ body: [UInt8]) throws -> HTTPAnswer {
        guard !body.isEmpty else { throw RequestError(code: "SYNTAX", message: "POST /v1/score needs a JSON body {\"users\": [\"u1\", ...]}") }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(body)) } catch {
            throw RequestError(code: "BAD_JSON", message: "the body is not JSON")
        }
        guard let fields = object as? [String: Any] else { throw RequestError(code: "BAD_JSON", message: "the body must be a JSON object") }
        if let extra = Set(fields.keys).subtracting(["users", "at", "model"]).sorted().first {
            throw RequestError(code: "SYNTAX", message: "unknown field \(extra.prefix(40)); expected users, at, model")
        }
        guard let users = fields["users"] as? [String], !users.isEmpty else {
            throw RequestError(code: "SYNTAX", message: "users must be a non-empty array of strings")
        }
        guard users.count <= Self.maximumBatch else { throw RequestError(code: "TOO_MANY", message: "at most \(Self.maximumBatch) users per request") }
        guard fields["at"] == nil || fields["at"] is String else { throw RequestError(code: "SYNTAX", message: "at must be a string time") }
        guard fields["model"] == nil || fields["model"] is String else { throw RequestError(code: "SYNTAX", message: "model must be a string") }
        for user in users { try checkUser(user) }
        let at = try time(fields["at"] as? String)
        let model = fields["model"] as? String
        let scores = try users.map { try service.score($0, model: model, at: at) }
        return ok(capacity: 64 * users.count) { json in
            json.key("scores")
            json.beginArray()
            for (user, result) in zip(users, scores) {
                json.beginObject()
                Self.fields(of: result, user: user, into: &json)
                json.endObject()
            }
            json.endArray()
        }
    }

    /// `{"rows": [{"user": "u1", "at": "…"}, …]}`: each row answered as `GET /v1/features/{user}?at=`
    /// answers it, a row that cannot be answered (PAST_AT, a bad time) with its own error.
    private func featureBatch(_ body: [UInt8]) throws -> HTTPAnswer {
        guard !body.isEmpty else {
            throw RequestError(code: "SYNTAX", message: "POST /v1/features needs a JSON body {\"rows\": [{\"user\": \"u1\", \"at\": \"…\"}, …]}")
        }
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(body)) } catch { throw RequestError(code: "BAD_JSON", message: "the body is not JSON") }
        guard let fields = object as? [String: Any] else { throw RequestError(code: "BAD_JSON", message: "the body must be a JSON object") }
        if let extra = Set(fields.keys).subtracting(["rows"]).sorted().first {
            throw RequestError(code: "SYNTAX", message: "unknown field \(extra.prefix(40)); expected rows")
        }
        guard let rows = fields["rows"] as? [[String: Any]], !rows.isEmpty else {
            throw RequestError(code: "SYNTAX", message: "rows must be a non-empty array of {\"user\": …, \"at\": …} objects")
        }
        guard rows.count <= Self.maximumBatch else { throw RequestError(code: "TOO_MANY", message: "at most \(Self.maximumBatch) rows per request") }
        var questions = [(user: String, at: String?)]()
        for (index, row) in rows.enumerated() {
            if let extra = Set(row.keys).subtracting(["user", "at"]).sorted().first {
                throw RequestError(code: "SYNTAX", message: "row \(index): unknown field \(extra.prefix(40)); expected user, at")
            }
            guard let user = row["user"] as? String else { throw RequestError(code: "SYNTAX", message: "row \(index): user must be a string") }
            guard row["at"] == nil || row["at"] is String else { throw RequestError(code: "SYNTAX", message: "row \(index): at must be a string time") }
            try checkUser(user)
            questions.append((user, row["at"] as? String))
        }
        return ok(capacity: 1_024 * questions.count) { json in
            json.field("feature_set", service.set.reference)
            json.key("rows")
            json.beginArray()
            for question in questions {
                json.beginObject()
                json.field("user", question.user)
                if let at = question.at { json.field("at", at) }
                do {
                    let (values, cold) = try service.features(of: question.user, at: try time(question.at))
                    json.field("cold", cold)
                    json.key("features")
                    json.beginObject()
                    for (name, value) in zip(service.set.featureNames, values) { json.field(name, value) }
                    json.endObject()
                } catch {
                    let failure = error as? RequestError ?? RequestError(code: "FAILED", message: "\(error)")
                    json.key("error")
                    json.beginObject()
                    json.field("code", failure.code)
                    json.field("message", failure.message)
                    json.endObject()
                }
                json.endObject()
            }
            json.endArray()
        }
    }

    private func features(user: String, query: [String: String]) throws -> HTTPAnswer {
        try checkUser(user)
        if let unknown = query.keys.filter({ $0 != "at" }).min() {
            throw RequestError(code: "SYNTAX", message: "unknown query parameter \(unknown.prefix(40)); expected at")
        }
        let (values, cold) = try service.features(of: user, at: try time(query["at"]))
        return ok(capacity: 2_048) { json in
            json.field("user", user)
            json.field("feature_set", service.set.reference)
            json.field("cold", cold)
            json.key("features")
            json.beginObject()
            for (name, value) in zip(service.set.featureNames, values) { json.field(name, value) }
            json.endObject()
        }
    }

    private func models() -> HTTPAnswer {
        let stored = service.storedModels
        return ok(capacity: 512) { json in
            json.field("serving", service.model.version)
            json.field("kind", service.model.artifact.kind.rawValue)
            json.field("feature_set", service.set.reference)
            json.key("aliases")
            json.beginObject()
            for (alias, version) in stored.aliases { json.field(alias, version) }
            json.endObject()
            json.key("versions")
            json.beginArray()
            for version in stored.versions { json.string(version) }
            json.endArray()
        }
    }

    private func readiness() -> HTTPAnswer {
        let ready = service.isReady
        var json = JSONWriter()
        json.beginObject()
        json.field("ready", ready)
        json.field("users", service.userCount)
        if !ready {
            let (loaded, expected) = service.loadProgress
            json.field("loading_users", loaded)
            json.field("loading_expected_users", expected)
        }
        json.field("model", service.model.version)
        json.field("feature_set", service.set.reference)
        json.endObject()
        return HTTPAnswer(status: ready ? .ok : .serviceUnavailable, body: json.bytes)
    }

    private func ok(capacity: Int = 128, _ body: (inout JSONWriter) -> Void) -> HTTPAnswer {
        var json = JSONWriter(capacity: capacity)
        json.beginObject()
        body(&json)
        json.endObject()
        return HTTPAnswer(status: .ok, body: json.bytes)
    }

    private func methodNotAllowed(_ allowed: String) -> HTTPAnswer {
        var answer = HTTPAnswer.error(.methodNotAllowed, "METHOD", "use \(allowed) here")
        answer.headers.append(("Allow", allowed))
        return answer
    }

    private func checkUser(_ user: String) throws {
        guard !user.isEmpty, user.utf8.count <= 1_024 else { throw RequestError(code: "SYNTAX", message: "a user id is 1 to 1024 bytes") }
    }

    private func time(_ text: String?) throws -> Timestamp? {
        guard let text else { return nil }
        guard let time = DateText.parse(text) else { throw RequestError(code: "BAD_TIME", message: "at \(text.prefix(40)) is not a time") }
        return time
    }

    static func fields(of score: ScoringService.Score, user: String, into json: inout JSONWriter) {
        json.field("user", user)
        json.field("score", score.probability)
        json.field("model", score.version)
        json.field("cold", score.cold)
        // Said outright: a mistyped id and a newcomer both score cold; a client checks this to tell.
        json.field("known", !score.cold)
    }

    /// The line protocol's codes as HTTP statuses.
    static func status(of code: String) -> HTTPResponseStatus {
        switch code {
        case "NOAUTH", "WRONGPASS": .unauthorized
        case "TOO_LARGE": .payloadTooLarge
        case "NOT_FOUND", "FAILED": .notFound
        case "LOADING": .serviceUnavailable
        case "PAST_AT": .unprocessableEntity
        case "BAD_MODEL": .internalServerError
        case "NO_MODEL": .notFound
        case "MOVED": .misdirectedRequest
        default: .badRequest
        }
    }
}
