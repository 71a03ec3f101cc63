/// Quantile bins per feature: bin 0 holds missing values, bins 1… hold values up to each cut.
public struct FeatureBins: Sendable, Codable, Equatable {
    /// Per feature, ascending upper bounds: value v falls in bin 1 + (index of the first cut ≥ v).
    public var cuts: [[Double]]

    /// Cuts from (a sample of) the training rows, at most `maxBins` − 1 bins per feature besides missing.
    public init(features x: [Double], rows n: Int, columns p: Int, maxBins: Int) {
        let sampleEvery = max(1, n / 200_000)
        var cuts = [[Double]]()
        for j in 0..<p {
            var values = [Double]()
            values.reserveCapacity(n / sampleEvery + 1)
            var i = 0
            while i < n { let v = x[i * p + j]; if !v.isNaN { values.append(v) }; i += sampleEvery }
            values.sort()
            var distinct = [Double]()
            for v in values where distinct.last != v { distinct.append(v) }
            let bins = max(1, maxBins - 1)
            var featureCuts = [Double]()
            if distinct.count <= bins {
                // Few values: one bin each, cut halfway between neighbours.
                for k in 0..<max(0, distinct.count - 1) { featureCuts.append((distinct[k] + distinct[k + 1]) / 2) }
            } else {
                for q in 1..<bins {
                    let v = values[min(values.count - 1, q * values.count / bins)]
                    if featureCuts.last.map({ v > $0 }) ?? true { featureCuts.append(v) }
                }
            }
            cuts.append(featureCuts)
        }
        self.cuts = cuts
    }

    @inline(__always) public func bin(_ value: Double, feature j: Int) -> UInt8 {
        if value.isNaN { return 0 }
        let c = cuts[j]
        var low = 0, high = c.count
        while low < high { let mid = (low + high) >> 1; if c[mid] < value { low = mid + 1 } else { high = mid } }
        return UInt8(1 + low)
    }

    /// Row-major bins: a row's bins are contiguous, so one pass over a leaf's rows fills every
    /// feature's histogram (LightGBM's row-wise layout).
    public func binRows(features x: [Double], rows n: Int) -> [UInt8] {
        let p = cuts.count
        var out = [UInt8](repeating: 0, count: n * p)
        for i in 0..<n { for j in 0..<p { out[i * p + j] = bin(x[i * p + j], feature: j) } }
        return out
    }
}
