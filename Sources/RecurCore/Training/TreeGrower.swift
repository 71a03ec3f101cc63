import Dispatch

/// Grows one tree leaf-wise from gradient histograms, building the smaller child's histogram and
/// deriving the larger one by subtraction from the parent.
struct TreeGrower: @unchecked Sendable {
    // Read-only during growth; shared across the histogram threads.
    let columns: [[UInt8]]
    let binner: FeatureBins
    let parameters: GradientBoosting.Parameters

    init(columns: [[UInt8]], binner: FeatureBins, parameters: GradientBoosting.Parameters) {
        self.columns = columns
        self.binner = binner
        self.parameters = parameters
    }

    /// Sums per (feature, bin): gradient, hessian, count, flattened as [feature][256][3].
    typealias Histogram = [Double]

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

    func grow(rows: [Int32], gradients: [Double], hessians: [Double]) -> (Tree, [(Int, Double)]) {
        var tree = Tree()
        func addNode(_ v: Double) -> Int {
            tree.feature.append(-1); tree.splitBin.append(0); tree.missingLeft.append(false)
            tree.left.append(-1); tree.right.append(-1); tree.value.append(v)
            return tree.feature.count - 1
        }
        var gains = [(Int, Double)]()
        let rootHistogram = histogram(rows, gradients, hessians)
        let (g0, h0) = totals(rows, gradients, hessians)
        var leaves = [Leaf(node: addNode(leafValue(g0, h0)), rows: rows, histogram: rootHistogram, g: g0, h: h0, best: nil)]
        leaves[0].best = bestSplit(leaves[0])
        while leaves.count < max(2, parameters.leaves) {
            guard let index = leaves.indices.filter({ leaves[$0].best != nil }).max(by: { leaves[$0].best!.gain < leaves[$1].best!.gain }) else { break }
            let leaf = leaves.remove(at: index)
            let split = leaf.best!
            let column = columns[split.feature]
            var leftRows = [Int32](), rightRows = [Int32]()
            leftRows.reserveCapacity(leaf.rows.count); rightRows.reserveCapacity(leaf.rows.count)
            for r in leaf.rows {
                let b = column[Int(r)]
                if b == 0 ? split.missingLeft : b <= split.bin { leftRows.append(r) } else { rightRows.append(r) }
            }
            let (gl, hl) = totals(leftRows, gradients, hessians)
            let gr = leaf.g - gl, hr = leaf.h - hl
            let smallIsLeft = leftRows.count <= rightRows.count
            let small = histogram(smallIsLeft ? leftRows : rightRows, gradients, hessians)
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
        return (tree, gains)
    }

    func leafValue(_ g: Double, _ h: Double) -> Double { -g / (h + parameters.l2 + 1e-12) * parameters.learningRate }

    func totals(_ rows: [Int32], _ gradients: [Double], _ hessians: [Double]) -> (Double, Double) {
        var g = 0.0, h = 0.0
        for r in rows { g += gradients[Int(r)]; h += hessians[Int(r)] }
        return (g, h)
    }

    /// Histograms of all features for `rows`, features split across threads.
    func histogram(_ rows: [Int32], _ gradients: [Double], _ hessians: [Double]) -> Histogram {
        let p = columns.count
        var out = Histogram(repeating: 0, count: p * 256 * 3)
        let threads = max(1, min(parameters.threads, p))
        out.withUnsafeMutableBufferPointer { buffer in
            let base = UnsafeMutableSendable(buffer.baseAddress!)
            rows.withUnsafeBufferPointer { rowBuffer in
                gradients.withUnsafeBufferPointer { gBuffer in
                    hessians.withUnsafeBufferPointer { hBuffer in
                        let r = UnsafeSendable(rowBuffer), g = UnsafeSendable(gBuffer), h = UnsafeSendable(hBuffer)
                        let work: @Sendable (Int) -> Void = { (t: Int) in
                            var j = t
                            while j < p {
                                let column = columns[j]
                                column.withUnsafeBufferPointer { bins in
                                    let hist = base.pointer + j * 768
                                    for row in r.buffer {
                                        let i = Int(row)
                                        let slot = Int(bins[i]) * 3
                                        hist[slot] += g.buffer[i]
                                        hist[slot + 1] += h.buffer[i]
                                        hist[slot + 2] += 1
                                    }
                                }
                                j += threads
                            }
                        }
                        if threads == 1 || rows.count < 20_000 {
                            for t in 0..<threads { work(t) }
                        } else {
                            DispatchQueue.concurrentPerform(iterations: threads, execute: work)
                        }
                    }
                }
            }
        }
        return out
    }

    func bestSplit(_ leaf: Leaf) -> Split? {
        let minCount = Double(max(1, parameters.minSamplesPerLeaf))
        guard Double(leaf.rows.count) >= 2 * minCount else { return nil }
        let lambda = parameters.l2 + 1e-12
        let parentScore = leaf.g * leaf.g / (leaf.h + lambda)
        var best: Split?
        for j in 0..<columns.count {
            let hist = leaf.histogram
            let offset = j * 768
            let missingG = hist[offset], missingH = hist[offset + 1], missingN = hist[offset + 2]
            let binCount = binner.cuts[j].count + 1
            guard binCount > 1 else { continue }
            var gl = 0.0, hl = 0.0, nl = 0.0
            for b in 1..<binCount {
                gl += hist[offset + b * 3]; hl += hist[offset + b * 3 + 1]; nl += hist[offset + b * 3 + 2]
                for missingLeft in [false, true] {
                    let lg = gl + (missingLeft ? missingG : 0), lh = hl + (missingLeft ? missingH : 0), ln = nl + (missingLeft ? missingN : 0)
                    let rg = leaf.g - lg, rh = leaf.h - lh, rn = Double(leaf.rows.count) - ln
                    guard ln >= minCount, rn >= minCount, lh > 1e-3, rh > 1e-3 else { continue }
                    let gain = lg * lg / (lh + lambda) + rg * rg / (rh + lambda) - parentScore
                    if gain > (best?.gain ?? 1e-12) { best = Split(feature: j, bin: UInt8(b), missingLeft: missingLeft, gain: gain) }
                    if missingN == 0 { break }
                }
            }
        }
        return best
    }
}

/// Hands raw buffers to the histogram threads, which each write disjoint feature slices.
struct UnsafeMutableSendable: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Double>
    init(_ pointer: UnsafeMutablePointer<Double>) { self.pointer = pointer }
}

struct UnsafeSendable<T>: @unchecked Sendable {
    let buffer: UnsafeBufferPointer<T>
    init(_ buffer: UnsafeBufferPointer<T>) { self.buffer = buffer }
}
