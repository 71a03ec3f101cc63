import Dispatch

/// Grows one tree leaf-wise from gradient histograms, building the smaller child's histogram and
/// deriving the larger one by subtraction from the parent.
struct TreeGrower: Sendable {
    // Read-only during growth; shared across the histogram threads.
    let data: BinnedHistograms
    let parameters: GradientBoosting.Parameters

    init(data: BinnedHistograms, parameters: GradientBoosting.Parameters) {
        self.data = data
        self.parameters = parameters
    }

    /// Sums per (feature, bin): gradient and hessian in single precision (half the memory traffic of the
    /// hot loop; split gains are computed in double), as `BinnedHistograms` lays them out. Row counts are
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
        let (rootHistogram, g0, h0) = histogram(rows, gradientPairs)
        var leaves = [Leaf(node: addNode(leafValue(g0, h0)), rows: rows, histogram: rootHistogram, g: g0, h: h0, best: nil)]
        leaves[0].best = bestSplit(leaves[0])
        while leaves.count < max(2, parameters.leaves) {
            guard let index = leaves.indices.filter({ leaves[$0].best != nil }).max(by: { leaves[$0].best!.gain < leaves[$1].best!.gain }) else { break }
            let leaf = leaves.remove(at: index)
            let split = leaf.best!
            let (leftRows, rightRows) = data.partition(
                leaf.rows, feature: split.feature, bin: split.bin, missingLeft: split.missingLeft,
                threads: parameters.threads)
            // The smaller child's sums come with its histogram; the larger's by subtraction.
            let smallIsLeft = leftRows.count <= rightRows.count
            let (small, gs, hs) = histogram(smallIsLeft ? leftRows : rightRows, gradientPairs)
            var large = leaf.histogram
            for k in 0..<large.count { large[k] -= small[k] }
            let (gl, hl) = smallIsLeft ? (gs, hs) : (leaf.g - gs, leaf.h - hs)
            let gr = leaf.g - gl, hr = leaf.h - hl
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

    func histogram(_ rows: [Int32], _ pairs: [Float]) -> (Histogram, g: Double, h: Double) { data.histogram(rows, pairs, threads: parameters.threads) }

    func bestSplit(_ leaf: Leaf) -> Split? {
        let minCount = Double(max(1, parameters.minSamplesPerLeaf))
        guard Double(leaf.rows.count) >= 2 * minCount else { return nil }
        let lambda = parameters.l2 + 1e-12
        let parentScore = leaf.g * leaf.g / (leaf.h + lambda)
        var best: Split?
        let hist = leaf.histogram
        for j in 0..<data.features {
            let offset = 2 * data.offsets[j]
            let perHessian = Double(leaf.rows.count) / max(leaf.h, 1e-300)
            let missingG = Double(hist[offset]), missingH = Double(hist[offset + 1]), missingN = (missingH * perHessian).rounded()
            // Splits go after bins 1 … cuts: the top bin always stays on the right.
            let splitBins = data.binCounts[j] - 1
            guard splitBins > 1 else { continue }
            var gl = 0.0, hl = 0.0
            for b in 1..<splitBins {
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
