import Dispatch

/// Grows one tree leaf-wise from gradient histograms, building the smaller child's histogram and
/// deriving the larger one by subtraction from the parent.
struct TreeGrower: @unchecked Sendable {
    // Read-only during growth; shared across the histogram threads.
    let bins: [UInt8]
    let features: Int
    let binner: FeatureBins
    let parameters: GradientBoosting.Parameters

    init(bins: [UInt8], binner: FeatureBins, parameters: GradientBoosting.Parameters) {
        self.bins = bins
        self.features = binner.cuts.count
        self.binner = binner
        self.parameters = parameters
    }

    /// Sums per (feature, bin): gradient and hessian in single precision (half the memory traffic of the
    /// hot loop; split gains are computed in double), flattened as [feature][256][2]. Row counts are
    /// estimated from the hessian share, as LightGBM does, which saves a third of the histogram work.
    typealias Histogram = [Float]

    struct Leaf {
        var node: Int
        var rows: [Int32]
        var histogram: Histogram
        var g: Double, h: Double
        var best: Split?
    }

    struct Split {
        var feature: Int
        var bin: UInt8
        var missingLeft: Bool
        var gain: Double
    }

    func grow(rows: [Int32], gradientPairs: [Float]) -> (Tree, [(Int, Double)], [([Int32], Double)]) {
        var tree = Tree()
        func addNode(_ v: Double) -> Int {
            tree.feature.append(-1); tree.splitBin.append(0); tree.missingLeft.append(false)
            tree.left.append(-1); tree.right.append(-1); tree.value.append(v)
            return tree.feature.count - 1
        }
        var gains = [(Int, Double)]()
        let rootHistogram = histogram(rows, gradientPairs)
        let (g0, h0) = totals(rows, gradientPairs)
        var leaves = [Leaf(node: addNode(leafValue(g0, h0)), rows: rows, histogram: rootHistogram, g: g0, h: h0, best: nil)]
        leaves[0].best = bestSplit(leaves[0])
        while leaves.count < max(2, parameters.leaves) {
            guard let index = leaves.indices.filter({ leaves[$0].best != nil }).max(by: { leaves[$0].best!.gain < leaves[$1].best!.gain }) else { break }
            let leaf = leaves.remove(at: index)
            let split = leaf.best!
            var leftRows = [Int32](), rightRows = [Int32]()
            leftRows.reserveCapacity(leaf.rows.count); rightRows.reserveCapacity(leaf.rows.count)
            // Partition and sum the left side in one pass over the leaf's rows.
            var gl = 0.0, hl = 0.0
            bins.withUnsafeBufferPointer { binBuffer in
                gradientPairs.withUnsafeBufferPointer { pairs in
                    for r in leaf.rows {
                        let i = Int(r)
                        let b = binBuffer[i * features + split.feature]
                        if b == 0 ? split.missingLeft : b <= split.bin {
                            leftRows.append(r)
                            gl += Double(pairs[2 * i]); hl += Double(pairs[2 * i + 1])
                        } else {
                            rightRows.append(r)
                        }
                    }
                }
            }
            let gr = leaf.g - gl, hr = leaf.h - hl
            let smallIsLeft = leftRows.count <= rightRows.count
            let small = histogram(smallIsLeft ? leftRows : rightRows, gradientPairs)
            var large = leaf.histogram
            for k in 0..<large.count { large[k] -= small[k] }
            let leftNode = addNode(leafValue(gl, hl)), rightNode = addNode(leafValue(gr, hr))
            tree.feature[leaf.node] = Int32(split.feature)
            tree.splitBin[leaf.node] = split.bin
            tree.missingLeft[leaf.node] = split.missingLeft
            tree.left[leaf.node] = Int32(leftNode)
            tree.right[leaf.node] = Int32(rightNode)
            gains.append((split.feature, split.gain))
            var l = Leaf(node: leftNode, rows: leftRows, histogram: smallIsLeft ? small : large, g: gl, h: hl, best: nil)
            var r = Leaf(node: rightNode, rows: rightRows, histogram: smallIsLeft ? large : small, g: gr, h: hr, best: nil)
            l.best = bestSplit(l)
            r.best = bestSplit(r)
            leaves.append(l)
            leaves.append(r)
        }
        return (tree, gains, leaves.map { ($0.rows, tree.value[$0.node]) })
    }

    func leafValue(_ g: Double, _ h: Double) -> Double { -g / (h + parameters.l2 + 1e-12) * parameters.learningRate }

    func totals(_ rows: [Int32], _ pairs: [Float]) -> (Double, Double) {
        var g = 0.0, h = 0.0
        for r in rows { g += Double(pairs[2 * Int(r)]); h += Double(pairs[2 * Int(r) + 1]) }
        return (g, h)
    }

    /// Histograms of all features for `rows`: rows split across threads, each filling its own
    /// histogram in one pass over its rows' contiguous bins, then summed.
    func histogram(_ rows: [Int32], _ pairs: [Float]) -> Histogram {
        let p = features
        let size = p * 256 * 2
        let threads = rows.count < 16_000 ? 1 : max(1, parameters.threads)
        var partials = [Histogram](repeating: Histogram(repeating: 0, count: size), count: threads)
        let chunk = (rows.count + threads - 1) / threads
        bins.withUnsafeBufferPointer { binBuffer in
            rows.withUnsafeBufferPointer { rowBuffer in
                pairs.withUnsafeBufferPointer { pairBuffer in
                    let b = UnsafeSendable(binBuffer), r = UnsafeSendable(rowBuffer), gh = UnsafeSendable(pairBuffer)
                    let results = PartialHistograms(count: threads, size: size)
                    let work: @Sendable (Int) -> Void = { t in
                        let hist = results.pointer(t)
                        let end = min(rows.count, (t + 1) * chunk)
                        var k = t * chunk
                        while k < end {
                            let row = Int(r.buffer[k])
                            let g = gh.buffer[2 * row], h = gh.buffer[2 * row + 1]
                            let base = row * p
                            for j in 0..<p {
                                let slot = (j * 256 + Int(b.buffer[base + j])) &* 2
                                hist[slot] += g
                                hist[slot + 1] += h
                            }
                            k += 1
                        }
                    }
                    if threads == 1 { work(0) } else { DispatchQueue.concurrentPerform(iterations: threads, execute: work) }
                    for t in 0..<threads { partials[t] = results.histogram(t) }
                }
            }
        }
        var out = partials[0]
        for t in 1..<threads { for k in 0..<size { out[k] += partials[t][k] } }
        return out
    }

    func bestSplit(_ leaf: Leaf) -> Split? {
        let minCount = Double(max(1, parameters.minSamplesPerLeaf))
        guard Double(leaf.rows.count) >= 2 * minCount else { return nil }
        let lambda = parameters.l2 + 1e-12
        let parentScore = leaf.g * leaf.g / (leaf.h + lambda)
        var best: Split?
        for j in 0..<features {
            let hist = leaf.histogram
            let offset = j * 512
            let perHessian = Double(leaf.rows.count) / max(leaf.h, 1e-300)
            let missingG = Double(hist[offset]), missingH = Double(hist[offset + 1]), missingN = (missingH * perHessian).rounded()
            let binCount = binner.cuts[j].count + 1
            guard binCount > 1 else { continue }
            var gl = 0.0, hl = 0.0
            for b in 1..<binCount {
                gl += Double(hist[offset + b * 2]); hl += Double(hist[offset + b * 2 + 1])
                // Missing values on the right, then (when there are any) on the left.
                for side in 0..<(missingN > 0 ? 2 : 1) {
                    let missingLeft = side == 1
                    let lg = missingLeft ? gl + missingG : gl, lh = missingLeft ? hl + missingH : hl
                    let ln = (lh * perHessian).rounded()
                    let rg = leaf.g - lg, rh = leaf.h - lh, rn = Double(leaf.rows.count) - ln
                    guard ln >= minCount, rn >= minCount, lh > 1e-3, rh > 1e-3 else { continue }
                    let gain = lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parentScore
                    if gain > (best?.gain ?? 1e-12) { best = Split(feature: j, bin: UInt8(b), missingLeft: missingLeft, gain: gain) }
                }
            }
        }
        return best
    }
}

/// One histogram buffer per thread, so threads never write the same memory.
final class PartialHistograms: @unchecked Sendable {
    private let storage: UnsafeMutablePointer<Float>
    private let size: Int
    private let count: Int

    init(count: Int, size: Int) {
        self.count = count
        self.size = size
        storage = .allocate(capacity: count * size)
        storage.initialize(repeating: 0, count: count * size)
    }

    deinit { storage.deallocate() }

    func pointer(_ t: Int) -> UnsafeMutablePointer<Float> { storage + t * size }
    func histogram(_ t: Int) -> [Float] { Array(UnsafeBufferPointer(start: storage + t * size, count: size)) }
}

struct UnsafeSendable<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}
