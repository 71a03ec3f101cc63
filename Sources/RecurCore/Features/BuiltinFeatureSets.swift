// Generated from features/default.toml by scripts/embed-features.sh; a test keeps the two identical.

/// The feature sets compiled into the binary, so that `recur` works from any folder.
enum BuiltinFeatureSets {
    static let files: [(name: String, text: String)] = [("default.toml", defaultSet)]

    static let defaultSet = #"""
        # Recur's default feature set: RFM, inter-purchase timing, sessions and funnel ratios.
        # A window W at as-of time T covers [T - W, T): an event at exactly T - W is in, one at T is out.
        # Changing a definition means a new version: snapshots and models are keyed by name and version.

        name = "default"
        version = 1
        session_gap = "30m"        # a new session starts after 30 minutes without events
        allowed_lateness = "2d"    # events may arrive up to two days after their time

        [[feature]]
        name = "days_since_last_purchase"
        kind = "recency"
        event = "purchase"
        description = "Days since the last purchase."

        [[feature]]
        name = "days_since_first_purchase"
        kind = "tenure"
        event = "purchase"
        description = "Days since the first purchase."

        [[feature]]
        name = "days_since_first_event"
        kind = "tenure"
        event = "any"
        description = "Days since the first event of any kind."

        [[feature]]
        name = "days_since_last_session"
        kind = "recency"
        event = "any"
        description = "Days since the last activity of any kind."

        [[feature]]
        name = "purchase_count_7d"
        kind = "count"
        event = "purchase"
        window = "7d"
        description = "Purchases in the last 7d."

        [[feature]]
        name = "purchase_count_30d"
        kind = "count"
        event = "purchase"
        window = "30d"
        description = "Purchases in the last 30d."

        [[feature]]
        name = "purchase_count_90d"
        kind = "count"
        event = "purchase"
        window = "90d"
        description = "Purchases in the last 90d."

        [[feature]]
        name = "purchase_count_365d"
        kind = "count"
        event = "purchase"
        window = "365d"
        description = "Purchases in the last 365d."

        [[feature]]
        name = "purchase_count_all"
        kind = "count"
        event = "purchase"
        window = "all"
        description = "Purchases of all time."

        [[feature]]
        name = "purchase_days_7d"
        kind = "distinct_days"
        event = "purchase"
        window = "7d"
        description = "Distinct days with a purchase, 7d."

        [[feature]]
        name = "purchase_days_30d"
        kind = "distinct_days"
        event = "purchase"
        window = "30d"
        description = "Distinct days with a purchase, 30d."

        [[feature]]
        name = "purchase_days_90d"
        kind = "distinct_days"
        event = "purchase"
        window = "90d"
        description = "Distinct days with a purchase, 90d."

        [[feature]]
        name = "purchase_days_365d"
        kind = "distinct_days"
        event = "purchase"
        window = "365d"
        description = "Distinct days with a purchase, 365d."

        [[feature]]
        name = "purchase_days_all"
        kind = "distinct_days"
        event = "purchase"
        window = "all"
        description = "Distinct days with a purchase, all."

        [[feature]]
        name = "purchase_amount_sum_7d"
        kind = "sum"
        event = "purchase"
        window = "7d"
        description = "Net money spent (purchases minus refunds), 7d."

        [[feature]]
        name = "purchase_amount_sum_30d"
        kind = "sum"
        event = "purchase"
        window = "30d"
        description = "Net money spent (purchases minus refunds), 30d."

        [[feature]]
        name = "purchase_amount_sum_90d"
        kind = "sum"
        event = "purchase"
        window = "90d"
        description = "Net money spent (purchases minus refunds), 90d."

        [[feature]]
        name = "purchase_amount_sum_365d"
        kind = "sum"
        event = "purchase"
        window = "365d"
        description = "Net money spent (purchases minus refunds), 365d."

        [[feature]]
        name = "purchase_amount_sum_all"
        kind = "sum"
        event = "purchase"
        window = "all"
        description = "Net money spent (purchases minus refunds), all."

        [[feature]]
        name = "purchase_amount_mean_7d"
        kind = "mean"
        event = "purchase"
        window = "7d"
        description = "Mean purchase amount, 7d."

        [[feature]]
        name = "purchase_amount_mean_30d"
        kind = "mean"
        event = "purchase"
        window = "30d"
        description = "Mean purchase amount, 30d."

        [[feature]]
        name = "purchase_amount_mean_90d"
        kind = "mean"
        event = "purchase"
        window = "90d"
        description = "Mean purchase amount, 90d."

        [[feature]]
        name = "purchase_amount_mean_365d"
        kind = "mean"
        event = "purchase"
        window = "365d"
        description = "Mean purchase amount, 365d."

        [[feature]]
        name = "purchase_amount_mean_all"
        kind = "mean"
        event = "purchase"
        window = "all"
        description = "Mean purchase amount, all."

        [[feature]]
        name = "purchase_amount_max_7d"
        kind = "max"
        event = "purchase"
        window = "7d"
        description = "Largest purchase amount, 7d."

        [[feature]]
        name = "purchase_amount_max_30d"
        kind = "max"
        event = "purchase"
        window = "30d"
        description = "Largest purchase amount, 30d."

        [[feature]]
        name = "purchase_amount_max_90d"
        kind = "max"
        event = "purchase"
        window = "90d"
        description = "Largest purchase amount, 90d."

        [[feature]]
        name = "purchase_amount_max_365d"
        kind = "max"
        event = "purchase"
        window = "365d"
        description = "Largest purchase amount, 365d."

        [[feature]]
        name = "purchase_amount_max_all"
        kind = "max"
        event = "purchase"
        window = "all"
        description = "Largest purchase amount, all."

        [[feature]]
        name = "purchase_gap_mean_all"
        kind = "gap_mean"
        event = "purchase"
        description = "Mean days between consecutive purchases."

        [[feature]]
        name = "purchase_gap_std_all"
        kind = "gap_std"
        event = "purchase"
        description = "Standard deviation of days between consecutive purchases."

        [[feature]]
        name = "session_count_7d"
        kind = "sessions"
        event = "any"
        window = "7d"
        description = "Sessions started in the last 7d."

        [[feature]]
        name = "session_count_30d"
        kind = "sessions"
        event = "any"
        window = "30d"
        description = "Sessions started in the last 30d."

        [[feature]]
        name = "session_count_90d"
        kind = "sessions"
        event = "any"
        window = "90d"
        description = "Sessions started in the last 90d."

        [[feature]]
        name = "session_minutes_mean_90d"
        kind = "session_minutes_mean"
        event = "any"
        window = "90d"
        description = "Mean session length in minutes, sessions of the last 90d."

        [[feature]]
        name = "session_events_mean_90d"
        kind = "session_events_mean"
        event = "any"
        window = "90d"
        description = "Mean events per session, sessions of the last 90d."

        [[feature]]
        name = "view_count_7d"
        kind = "count"
        event = "view"
        window = "7d"
        description = "Product views in the last 7d."

        [[feature]]
        name = "cart_count_7d"
        kind = "count"
        event = "cart"
        window = "7d"
        description = "Cart adds in the last 7d."

        [[feature]]
        name = "view_count_30d"
        kind = "count"
        event = "view"
        window = "30d"
        description = "Product views in the last 30d."

        [[feature]]
        name = "cart_count_30d"
        kind = "count"
        event = "cart"
        window = "30d"
        description = "Cart adds in the last 30d."

        [[feature]]
        name = "purchase_per_cart_ratio_30d"
        kind = "ratio"
        event = "purchase"
        window = "30d"
        per = "cart"
        description = "Purchases per cart add, last 30d (cart-to-purchase)."

        [[feature]]
        name = "purchase_per_view_ratio_30d"
        kind = "ratio"
        event = "purchase"
        window = "30d"
        per = "view"
        description = "Purchases per product view, last 30d (view-to-purchase)."

        [[feature]]
        name = "cart_abandoned_sessions_30d"
        kind = "abandoned_sessions"
        event = "cart"
        window = "30d"
        description = "Sessions with a cart add and no purchase, last 30d."

        [[feature]]
        name = "purchase_trend_30d"
        kind = "trend"
        event = "purchase"
        window = "30d"
        baseline = "90d"
        description = "Daily purchase rate of the last 30d over that of the last 90d."

        [[feature]]
        name = "refund_count_90d"
        kind = "count"
        event = "refund"
        window = "90d"
        description = "Refunds in the last 90d."

        """#
}
