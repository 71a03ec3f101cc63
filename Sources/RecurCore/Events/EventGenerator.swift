import Foundation

/// Generates realistic, seeded shop events: buy-till-you-die purchasers with browsing sessions around them.
///
/// Each user has their own purchase rate (Gamma across users), a chance of dropping out after every
/// purchase (Beta across users), a typical basket value (log-normal) and favourite categories and device.
/// Purchases come at the end of sessions of views and cart adds; other sessions only browse or abandon
/// a cart. Because the process behind a user is stable until they drop out, recency and frequency
/// predict the next purchase, as they do in real shops.
public struct EventGenerator: Sendable {
    /// What to generate.
    public struct Options: Sendable {
        public var users: Int = 1_000
        /// Rough total to aim for; nil keeps the natural activity level (about 60 events per user a year).
        public var targetEvents: Int?
        public var seed: UInt64 = 42
        public var start: Timestamp = Timestamp(year: 2025, month: 1, day: 1)!
        public var days: Int = 365
        /// Percent of events written out of time order, up to a day after where they belong.
        public var latePercent: Double = 0
        /// Percent of events written twice, with the same event id.
        public var duplicatePercent: Double = 0
        public init() {}
    }

    static let categories = ["electronics", "books", "fashion", "home", "beauty", "sports", "toys", "grocery"]
    static let devices = ["web", "ios", "android"]

    public let options: Options
    public init(options: Options) { self.options = options }

    /// One generated event, compact so that millions fit in memory for sorting by time.
    public struct Row: Sendable {
        public var emitAt: Int64
        public var timestamp: Int64
        public var serial: Int64
        public var user: Int32
        public var session: Int32
        public var product: Int32
        public var amountCents: Int32
        public var type: EventType
        public var quantity: UInt8
        public var device: UInt8

        public var category: String { EventGenerator.categories[Int(product) % EventGenerator.categories.count] }
        public var deviceName: String { EventGenerator.devices[Int(device)] }
    }

    /// All rows in the order a file would hold them: by time, except the late and duplicated ones.
    public func rows() -> [Row] {
        let (activity, purchases) = calibration()
        var rows = [Row]()
        rows.reserveCapacity(options.targetEvents ?? options.users * 64)
        for user in 0..<options.users { generate(user: user, activity: activity, purchaseScale: purchases, into: &rows) }
        var random = disorderRandom
        disorder(&rows, random: &random)
        rows.sort(by: Self.fileOrder)
        return rows
    }

    /// How much to scale browsing and purchases so that the total comes near `targetEvents`,
    /// measured on a pilot sample of users. Purchases are thinned only when a target lies below what
    /// the least browsing gives, so every larger target keeps the natural purchase process.
    func calibration() -> (activity: Double, purchases: Double) {
        guard let target = options.targetEvents, options.users > 0 else { return (1, 1) }
        let pilotUsers = min(options.users, 2_000)
        func perUser(activity: Double, purchases: Double) -> Double {
            var pilot = [Row]()
            for user in 0..<pilotUsers { generate(user: user, activity: activity, purchaseScale: purchases, into: &pilot) }
            return max(Double(pilot.count) / Double(pilotUsers), 1e-3)
        }
        let wanted = Double(target) / Double(options.users)
        let activity = max(0.05, min(20, wanted / perUser(activity: 1, purchases: 1)))
        guard activity < 0.1 else { return (activity, 1) }
        // Purchase sessions alone may give more than the target: then there are fewer of them.
        let atFloor = perUser(activity: 0.05, purchases: 1)
        guard wanted < atFloor else { return (activity, 1) }
        return (0.05, max(0.01, wanted / atFloor))
    }

    static func fileOrder(_ a: Row, _ b: Row) -> Bool { (a.emitAt, a.serial) < (b.emitAt, b.serial) }

    var disorderRandom: SeededRandom { SeededRandom(seed: options.seed ^ 0xD1B5_4A32_D192_ED03) }

    /// Moves some rows later and writes some twice, as `latePercent` and `duplicatePercent` ask.
    func disorder(_ rows: inout [Row], random: inout SeededRandom) {
        let day = Double(Timestamp.microsecondsPerDay)
        var extra = [Row]()
        for index in rows.indices {
            if options.latePercent > 0, random.unit() * 100 < options.latePercent {
                rows[index].emitAt += Int64(random.unit() * day)
            }
            if options.duplicatePercent > 0, random.unit() * 100 < options.duplicatePercent {
                var copy = rows[index]
                copy.emitAt += Int64(random.unit() * day / 24)
                extra.append(copy)
            }
        }
        rows += extra
    }

    /// The user id as written: a fixed-width number, like many shop databases use.
    public static func userID(_ user: Int32) -> String {
        let digits = String(user)
        return String(repeating: "0", count: max(0, 12 - digits.count)) + digits
    }

    func generate(user: Int, activity: Double, purchaseScale: Double = 1, into rows: inout [Row]) {
        var random = SeededRandom(seed: options.seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(user))
        let day = Double(Timestamp.microsecondsPerDay)
        let spanStart = Double(options.start.microseconds)
        let spanEnd = spanStart + Double(options.days) * day

        // Who this user is.
        let purchasesPerDay = random.gamma(shape: 1.1, scale: 1.0 / 30 / 1.1) * purchaseScale
        let dropout = random.beta(1.2, 7)
        let basket = random.logNormal(median: 32, sigma: 0.7)
        let browsePerPurchase = random.gamma(shape: 2, scale: 1) * activity
        let viewsPerSession = max(1, 3.0 * activity.squareRoot())
        let device = UInt8(random.chance(0.55) ? 0 : random.chance(0.5) ? 1 : 2)
        let favourite = random.below(Self.categories.count)
        var serial = Int64(user) << 20
        var sessionCounter = 0

        func session(at start: Double, purchase: Bool, abandonCart: Bool) -> Double {
            sessionCounter += 1
            let sessionID = Int32(truncatingIfNeeded: user &* 4096 &+ sessionCounter)
            var t = start
            let views = 1 + Int(random.exponential(mean: viewsPerSession))
            var product = Int32(random.chance(0.7) ? favourite : random.below(Self.categories.count)) + Int32(8 * random.below(250))
            func emit(_ type: EventType, amountCents: Int32 = 0, quantity: UInt8 = 1) {
                guard t < spanEnd else { return }
                serial += 1
                rows.append(
                    Row(
                        emitAt: Int64(t), timestamp: Int64(t), serial: serial, user: Int32(user), session: sessionID,
                        product: product, amountCents: amountCents, type: type, quantity: quantity, device: device))
            }
            for _ in 0..<views {
                emit(.view)
                t += random.exponential(mean: 90) * 1_000_000
                if random.chance(0.3) {
                    product = Int32(random.chance(0.7) ? favourite : random.below(Self.categories.count)) + Int32(8 * random.below(250))
                }
            }
            if purchase || abandonCart {
                emit(.cart)
                t += random.exponential(mean: 120) * 1_000_000
            }
            if purchase {
                let quantity = UInt8(random.chance(0.8) ? 1 : 2 + random.below(3))
                let unit = max(0.99, random.logNormal(median: basket, sigma: 0.35))
                let cents = Int32(min(1_000_000.0, (unit * 100).rounded()) * Double(quantity))
                emit(.purchase, amountCents: cents, quantity: quantity)
                if random.chance(0.03) {
                    let saved = t
                    t += (1 + random.unit() * 13) * day
                    emit(.refund, amountCents: cents, quantity: quantity)
                    t = saved
                }
            }
            return t
        }

        // Acquisition: some users were already around when the span starts, others arrive later.
        var t = spanStart + random.unit() * Double(options.days) * 0.8 * day
        var alive = true
        while alive && t < spanEnd {
            let gap = random.exponential(mean: 1 / purchasesPerDay) * day
            // Browsing sessions between now and the next purchase; cart abandonment in a quarter of them.
            let browsing = Int(random.exponential(mean: browsePerPurchase))
            for _ in 0..<browsing {
                _ = session(at: t + random.unit() * gap, purchase: false, abandonCart: random.chance(0.25))
            }
            t += gap
            guard t < spanEnd else { break }
            t = session(at: t, purchase: true, abandonCart: false)
            alive = !random.chance(dropout)
        }
        if !alive, random.chance(0.3) {
            // Lapsed customers still look around now and then without buying.
            _ = session(at: t + random.exponential(mean: 30) * day, purchase: false, abandonCart: false)
        }
    }
}
