/// The version printed by `recur --version`, written into model metadata and reported by the server.
public enum RecurVersion {
    public static let current = "0.1.0"
}
