import Postgres

/// Every user's online state (`user_features`) against a fold of that user's stored events, at
/// several times after their last event: what a backfill would write. `recur features check` and
/// the stream tests use it after faults.
public enum OnlineStateCheck {
    /// The users compared, and those whose state differs (or is missing, or has no events).
    public static func run(set: FeatureSet, on c: Connection) throws -> (users: Int, mismatched: [String]) {
        var states = [String: UserFeatureState]()
        let empty = UserFeatureState(set: set)
        for row in try c.query(
            "SELECT user_id, encode(state, 'hex') FROM user_features WHERE set_name = $1 AND set_version = $2", [set.name, set.version]
        ).rows {
            states[try row.require(String.self, 0)] = try UserFeatureState(decoding: UserFeatureState.bytes(hex: try row.require(String.self, 1)), from: empty)
        }
        var mismatched = [String]()
        var users = 0
        var current: (user: String, fold: UserFeatureState)?
        func compare(_ user: String, _ fold: UserFeatureState) {
            users += 1
            guard let stored = states.removeValue(forKey: user), let last = fold.lastEventAt else {
                mismatched.append(user)
                return
            }
            for asOf in [last + .seconds(1), last + .days(7), last + .days(40), last + .days(400)] {
                let a = stored.values(asOf: asOf), b = fold.values(asOf: asOf)
                let same = a.count == b.count && zip(a, b).allSatisfy { x, y in (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(1, abs(x)) }
                if !same {
                    mismatched.append(user)
                    return
                }
            }
        }
        for row in try c.query(
            """
            SELECT user_id, (extract(epoch FROM ts) * 1000000)::bigint, event_type, coalesce((amount * 100)::bigint, 0)
            FROM events ORDER BY user_id, ts
            """
        ).rows {
            let user = try row.require(String.self, 0)
            if current?.user != user {
                if let (done, fold) = current { compare(done, fold) }
                current = (user, empty)
            }
            current!.fold.apply(
                time: try row.require(Int64.self, 1), type: UserFeatureState.code(EventType(rawValue: try row.require(String.self, 2)) ?? .view),
                cents: try row.require(Int64.self, 3))
        }
        if let (done, fold) = current { compare(done, fold) }
        // States of users with no events at all.
        mismatched += states.keys.sorted()
        return (users, mismatched)
    }
}
