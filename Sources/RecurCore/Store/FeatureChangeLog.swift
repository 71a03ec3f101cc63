import Postgres

/// The `feature_changes` log that `user_features` keeps of its writes: which users changed, and when.
///
/// Readers (`recur serve`) take the rows they have not applied yet; writers prune what is older than
/// `retention`, and a reader away for longer falls back to scanning `user_features` itself.
public enum FeatureChangeLog {
    /// The LISTEN/NOTIFY channel on which every writer of `user_features` wakes its readers (payload:
    /// the feature set's reference) once its write is committed.
    public static let channel = "recur_user_features"

    /// How long change rows are kept, in seconds.
    public static let retention = 600.0

    /// Deletes the change rows older than `retention`; returns how many.
    @discardableResult
    public static func prune(_ c: Connection) throws -> Int {
        try c.execute("DELETE FROM feature_changes WHERE changed_at < now() - make_interval(secs => $1)", [retention])
    }
}
