import Foundation

/// A small, fast, seedable generator (xoshiro256**), so a seed always yields the same data on every machine.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        // SplitMix64 spreads any seed, including 0, over the whole state.
        var x = seed
        func next() -> UInt64 {
            x &+= 0x9E37_79B9_7F4A_7C15
            var z = x
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        s0 = next(); s1 = next(); s2 = next(); s3 = next()
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3; s2 ^= t
        s3 = (s3 << 45) | (s3 >> 19)
        return result
    }

    /// Uniform in (0, 1), never exactly 0 so that logarithms stay finite.
    public mutating func unit() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    public mutating func normal() -> Double {
        sqrt(-2 * log(unit())) * cos(2 * Double.pi * unit())
    }

    public mutating func exponential(mean: Double) -> Double { -log(unit()) * mean }

    public mutating func logNormal(median: Double, sigma: Double) -> Double { median * exp(sigma * normal()) }

    /// Marsaglia and Tsang's method; shape below 1 uses the boost `gamma(a+1) * u^(1/a)`.
    public mutating func gamma(shape: Double, scale: Double) -> Double {
        if shape < 1 { return gamma(shape: shape + 1, scale: scale) * pow(unit(), 1 / shape) }
        let d = shape - 1.0 / 3.0, c = 1 / sqrt(9 * d)
        while true {
            var x: Double, v: Double
            repeat { x = normal(); v = 1 + c * x } while v <= 0
            v = v * v * v
            let u = unit()
            if u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)) { return d * v * scale }
        }
    }

    public mutating func beta(_ a: Double, _ b: Double) -> Double {
        let x = gamma(shape: a, scale: 1), y = gamma(shape: b, scale: 1)
        return x / (x + y)
    }

    public mutating func chance(_ probability: Double) -> Bool { unit() < probability }

    public mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
