/// Quantile bins per feature: bin 0 holds missing values, bins 1… hold values up to each cut.
public struct FeatureBins: Sendable, Codable, Equatable {
    /// Per feature, ascending upper bounds: value v falls in bin 1 + (index of the first cut ≥ v).
    public var cuts: [[Double]]

    /// Cuts from every (n / 200,000)th row, read batch by batch: at most `maxBins` − 1 bins per
    /// feature besides missing.
    public init(rows source: some FeatureRows, maxBins: Int) throws {
        let n = source.rowCount, p = source.width
        let sampleEvery = max(1, n / 200_000)
        var sampled = [[Double]](repeating: [], count: p)
        for j in 0..<p { sampled[j].reserveCapacity(n / sampleEvery + 1) }
        try source.forEachBatch(maxRows: 65_536) { first, xs in
            // The first row of the batch that falls on the sample's stride.
            var r = (sampleEvery - first % sampleEvery) % sampleEvery
            let rows = xs.count / max(1, p)
            while r < rows {
                for j in 0..<p { let v = xs[r * p + j]; if !v.isNaN { sampled[j].append(v) } }
                r += sampleEvery
            }
        }
        var cuts = [[Double]]()
        for j in 0..<p {
            var values = sampled[j]
            sampled[j] = []
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
}
