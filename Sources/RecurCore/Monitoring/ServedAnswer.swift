/// One answer the server gave, as `--log-sample` keeps it: who, as of when, which model, the exact
/// feature vector it scored and the score.
public struct ServedAnswer: Sendable, Equatable {
    public var loggedAt: Timestamp
    public var user: String
    /// The time the features were computed as of: the request's `AT`, or the clock when it had none.
    public var asOf: Timestamp
    public var atGiven: Bool
    public var model: String
    public var setName: String
    public var setVersion: Int
    public var features: [Double]
    public var score: Double
    public var cold: Bool

    public init(
        loggedAt: Timestamp, user: String, asOf: Timestamp, atGiven: Bool, model: String, setName: String, setVersion: Int, features: [Double],
        score: Double, cold: Bool
    ) {
        self.loggedAt = loggedAt
        self.user = user
        self.asOf = asOf
        self.atGiven = atGiven
        self.model = model
        self.setName = setName
        self.setVersion = setVersion
        self.features = features
        self.score = score
        self.cold = cold
    }
}
