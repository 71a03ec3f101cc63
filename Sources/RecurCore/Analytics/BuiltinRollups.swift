// Generated from features/rollups.toml by scripts/embed-features.sh; a test keeps the two identical.

/// The rollups compiled into the binary, so that every store keeps them.
enum BuiltinRollups {
    static let text = #"""
        # Recur's built-in analytics: tumbling-window rollups and sessions, kept in PostgreSQL in the same
        # transaction as the events they count (see docs/analytics.md).
        #
        # A rollup is a table: `name`, a tumbling `window`, a `group` (user, product, category, device or
        # all), its `measures` and a `watermark`. An event is *late* when its window had already closed when
        # it arrived: the newest event time stored before it was at or past the window's end plus the
        # watermark. Unlike Spark, a late event is not dropped: it is counted in its window and in `late`.
        # Measures: events, views, carts, purchases, refunds, revenue (purchase amounts), refunded (refund
        # amounts), quantity (purchased), users (distinct users), late, conversion (purchases / views).
        # Add your own in a .toml file of rollups in your features folder (--features-dir).

        [[rollup]]
        name = "rollup_user_5m"
        window = "5m"
        group = "user"
        watermark = "1h"
        measures = ["events", "views", "carts", "purchases", "refunds", "revenue", "late"]

        [[rollup]]
        name = "rollup_funnel_1h"
        window = "1h"
        group = "all"
        watermark = "1h"
        measures = ["events", "views", "carts", "purchases", "revenue", "users", "late"]

        [[rollup]]
        name = "rollup_product_1d"
        window = "1d"
        group = "product"
        watermark = "1h"
        time_column = "day"
        measures = ["events", "views", "carts", "purchases", "revenue", "conversion", "late"]

        [[rollup]]
        name = "rollup_events_1m"
        window = "1m"
        group = "all"
        watermark = "1h"
        measures = ["events", "views", "carts", "purchases", "refunds", "revenue", "late"]

        # Sessions: a user's events with no gap longer than the feature set's session gap.
        [sessions]
        name = "sessions"
        set = "default"

        """#
}
