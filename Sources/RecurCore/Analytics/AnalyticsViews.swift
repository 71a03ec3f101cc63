import Postgres

/// The views dashboards query: conversion by hour and by day, and products many look at but few buy.
///
/// They read the built-in funnel and product rollups, and exist only while those keep the columns
/// they need (a user's own definition under the same name may not).
enum AnalyticsViews {
    static let funnel = "rollup_funnel_1h"
    static let products = "rollup_product_1d"

    static func create(over definitions: [Definition], on connection: Connection) throws {
        func rollup(_ name: String, group: Rollup.Grouping, needs: [Rollup.Measure]) -> Rollup? {
            for case .rollup(let r) in definitions where r.name == name && r.group == group && Set(needs).isSubset(of: r.measures) { return r }
            return nil
        }
        let rates = """
            CASE WHEN views > 0 THEN carts::float8 / views END AS view_to_cart,
            CASE WHEN carts > 0 THEN purchases::float8 / carts END AS cart_to_purchase,
            CASE WHEN views > 0 THEN purchases::float8 / views END AS view_to_purchase
            """
        try connection.execute("DROP VIEW IF EXISTS conversion_hourly, conversion_daily, products_high_interest_low_conversion")
        if let hourly = rollup(funnel, group: .all, needs: [.views, .carts, .purchases, .revenue]) {
            let time = hourly.timeColumn
            try connection.execute(
                """
                CREATE VIEW conversion_hourly AS
                SELECT date_bin('1 hour', \(time), timestamptz 'epoch') AS hour, sum(views) AS views, sum(carts) AS carts,
                       sum(purchases) AS purchases, sum(revenue) AS revenue,
                       CASE WHEN sum(views) > 0 THEN sum(carts)::float8 / sum(views) END AS view_to_cart,
                       CASE WHEN sum(carts) > 0 THEN sum(purchases)::float8 / sum(carts) END AS cart_to_purchase,
                       CASE WHEN sum(views) > 0 THEN sum(purchases)::float8 / sum(views) END AS view_to_purchase
                FROM \(hourly.name) GROUP BY 1
                """)
            try connection.execute(
                """
                CREATE VIEW conversion_daily AS
                SELECT day, views, carts, purchases, revenue, \(rates) FROM (
                    SELECT date_trunc('day', \(time), 'UTC') AS day, sum(views) AS views, sum(carts) AS carts,
                           sum(purchases) AS purchases, sum(revenue) AS revenue
                    FROM \(hourly.name) GROUP BY 1
                ) d
                """)
        }
        if let daily = rollup(products, group: .product, needs: [.views, .carts, .purchases, .revenue]) {
            // High interest: the top tenth of products by views over the newest 30 days of data;
            // low conversion: buying at less than half the rate of all products together.
            try connection.execute(
                """
                CREATE VIEW products_high_interest_low_conversion AS
                WITH recent AS (
                    SELECT product_id, sum(views) AS views, sum(carts) AS carts, sum(purchases) AS purchases, sum(revenue) AS revenue
                    FROM \(daily.name) WHERE \(daily.timeColumn) > (SELECT max(\(daily.timeColumn)) FROM \(daily.name)) - interval '30 days'
                    GROUP BY product_id
                ), ranked AS (
                    SELECT *, CASE WHEN views > 0 THEN purchases::float8 / views END AS conversion,
                           percent_rank() OVER (ORDER BY views) AS interest,
                           (SELECT sum(purchases)::float8 / nullif(sum(views), 0) FROM recent) AS overall_conversion
                    FROM recent
                )
                SELECT product_id, views, carts, purchases, revenue, conversion, overall_conversion FROM ranked
                WHERE interest >= 0.9 AND views > 0 AND coalesce(conversion, 0) < 0.5 * overall_conversion
                ORDER BY views DESC, product_id
                """)
        }
    }
}
