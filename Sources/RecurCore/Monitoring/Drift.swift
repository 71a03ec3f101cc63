import Foundation

/// How far a distribution moved from a reference, per column: PSI over the reference's deciles, and
/// Evidently's default test for a numerical column (the two-sample Kolmogorov–Smirnov test up to
/// 1,000 values, the Wasserstein distance in reference standard deviations above).
public struct Drift: Sendable, Equatable {
    public enum Test: String, Sendable { case ks, wasserstein }

    public var name: String
    public var psi: Double
    public var test: Test
    /// KS: the largest gap between the two CDFs; Wasserstein: the distance over the reference's standard deviation.
    public var statistic: Double
    /// KS only.
    public var pValue: Double?
    /// Evidently's thresholds: p < 0.05 (KS), a distance ≥ 0.1 (Wasserstein).
    public var drifted: Bool
    public var referenceCount: Int
    public var currentCount: Int

    /// PSI's floor for an empty bin, as is usual (and as Evidently does).
    static let floor = 0.0001

    public static func measure(name: String, reference: [Double], current: [Double]) -> Drift {
        let ref = reference.filter { !$0.isNaN }.sorted(), cur = current.filter { !$0.isNaN }.sorted()
        let psi = Self.psi(reference: ref, referenceMissing: reference.count - ref.count, current: cur, currentMissing: current.count - cur.count)
        let test: Test = min(ref.count, cur.count) <= 1_000 ? .ks : .wasserstein
        var statistic = 0.0, pValue: Double?, drifted = false
        if !ref.isEmpty && !cur.isEmpty {
            switch test {
            case .ks:
                statistic = ks(ref, cur)
                let n = Double(ref.count * cur.count) / Double(ref.count + cur.count)
                pValue = kolmogorovSurvival((n.squareRoot() + 0.12 + 0.11 / n.squareRoot()) * statistic)
                drifted = pValue! < 0.05
            case .wasserstein:
                let mean = ref.reduce(0, +) / Double(ref.count)
                let sd = (ref.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(ref.count)).squareRoot()
                let distance = wasserstein(ref, cur)
                // A constant reference: any movement at all is drift.
                statistic = sd > 0 ? distance / sd : (distance > 0 ? .infinity : 0)
                drifted = statistic >= 0.1
            }
        }
        return Drift(
            name: name, psi: psi, test: test, statistic: statistic, pValue: pValue, drifted: drifted, referenceCount: reference.count,
            currentCount: current.count)
    }

    /// Deciles of the reference as bin edges (repeated edges merged), plus a bin for missing values.
    static func psi(reference: [Double], referenceMissing: Int, current: [Double], currentMissing: Int) -> Double {
        var edges = [Double]()
        if !reference.isEmpty {
            for q in 1..<10 {
                let edge = reference[min(reference.count - 1, reference.count * q / 10)]
                if edges.last != edge { edges.append(edge) }
            }
        }
        func shares(_ values: [Double], missing: Int) -> [Double] {
            var counts = [Int](repeating: 0, count: edges.count + 2)
            for value in values {
                // Bin i holds (edges[i-1], edges[i]]; the last bin everything above the last edge.
                var lo = 0, hi = edges.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if value <= edges[mid] { hi = mid } else { lo = mid + 1 }
                }
                counts[lo] += 1
            }
            counts[edges.count + 1] = missing
            let total = Double(max(1, values.count + missing))
            return counts.map { max(floor, Double($0) / total) }
        }
        let p = shares(reference, missing: referenceMissing), q = shares(current, missing: currentMissing)
        return zip(p, q).reduce(0) { $0 + ($1.1 - $1.0) * log($1.1 / $1.0) }
    }

    /// The largest gap between the empirical CDFs of two sorted samples.
    static func ks(_ a: [Double], _ b: [Double]) -> Double {
        var i = 0, j = 0, gap = 0.0
        while i < a.count && j < b.count {
            let x = min(a[i], b[j])
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
            gap = max(gap, abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)))
        }
        return gap
    }

    /// Q_KS(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²): the probability of a gap at least this large by chance.
    static func kolmogorovSurvival(_ lambda: Double) -> Double {
        guard lambda > 0.2 else { return 1 }
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? 1 : -1) * term
            if term < 1e-12 { break }
        }
        return min(1, max(0, 2 * sum))
    }

    /// ∫ |F_a − F_b| over the line, for sorted samples.
    static func wasserstein(_ a: [Double], _ b: [Double]) -> Double {
        var i = 0, j = 0, distance = 0.0
        var last = min(a[0], b[0])
        while i < a.count || j < b.count {
            let x = j >= b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            distance += abs(Double(i) / Double(a.count) - Double(j) / Double(b.count)) * (x - last)
            last = x
            while i < a.count && a[i] <= x { i += 1 }
            while j < b.count && b[j] <= x { j += 1 }
        }
        return distance
    }
}
