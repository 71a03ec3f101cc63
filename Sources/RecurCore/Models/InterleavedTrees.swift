/// A tree ensemble laid out so that eight trees are walked at once, without a branch per level.
///
/// Walking one tree is a chain of dependent loads and a hard-to-predict branch at every level; that
/// chain, not the arithmetic, was the cost of a GBDT score. Here each node's two children sit side
/// by side, so the next node is `left + (goLeft ? 0 : 1)`, computed without a branch; a leaf points
/// to itself and lets every value through, so a group of eight trees is stepped together for the
/// depth of its deepest tree and the eight chains overlap in the CPU. Leaves are summed in tree
/// order afterwards, so the score is bit for bit the artifact's.
final class InterleavedTrees: @unchecked Sendable {
    /// 16 bytes: a split's threshold, feature and missing-value direction, and where its children start.
    struct Node {
        var threshold: Double
        /// The feature index; the top bit set means a missing value goes left.
        var featureAndMissing: UInt32
        /// The left child; the right child is the next node.
        var left: Int32
    }

    static let width = 8
    private static let missingLeftBit: UInt32 = 1 << 31

    private let nodes: UnsafeMutableBufferPointer<Node>
    /// A leaf's value, by node index (0 for a split).
    private let values: UnsafeMutableBufferPointer<Double>
    /// The root of each tree, padded to a multiple of `width` with a leaf worth nothing.
    private let roots: UnsafeMutableBufferPointer<Int32>
    /// Levels to step for each group of `width` trees: the depth of its deepest tree.
    private let depths: UnsafeMutableBufferPointer<Int32>
    let treeCount: Int

    init(_ ensemble: TreeEnsemble) {
        var nodes = [Node](), values = [Double](), roots = [Int32](), depths = [Int32]()
        var treeDepths = [Int]()
        for tree in ensemble.trees {
            let (root, depth) = Self.append(tree, into: &nodes, values: &values)
            roots.append(root)
            treeDepths.append(depth)
        }
        treeCount = roots.count
        // The padding trees are one leaf of value 0, never summed: only real trees' leaves are.
        let padding = Int32(nodes.count)
        nodes.append(Node(threshold: .infinity, featureAndMissing: Self.missingLeftBit, left: padding))
        values.append(0)
        while roots.count % Self.width != 0 { roots.append(padding); treeDepths.append(0) }
        for group in stride(from: 0, to: roots.count, by: Self.width) {
            depths.append(Int32(treeDepths[group..<(group + Self.width)].max() ?? 0))
        }
        self.nodes = Self.copy(nodes)
        self.values = Self.copy(values)
        self.roots = Self.copy(roots)
        self.depths = Self.copy(depths)
    }

    deinit {
        nodes.deallocate()
        values.deallocate()
        roots.deallocate()
        depths.deallocate()
    }

    /// Lays one tree out breadth first with siblings adjacent; returns its root and depth.
    private static func append(_ tree: TreeEnsemble.Tree, into nodes: inout [Node], values: inout [Double]) -> (Int32, Int) {
        let root = Int32(nodes.count)
        // Queue of (original index, slot in `nodes`, depth).
        var queue = [(Int, Int, Int)]()
        nodes.append(Node(threshold: 0, featureAndMissing: 0, left: 0))
        values.append(0)
        queue.append((0, Int(root), 0))
        var head = 0, depth = 0
        while head < queue.count {
            let (original, slot, level) = queue[head]
            head += 1
            depth = max(depth, level)
            if tree.feature[original] < 0 {
                // A leaf: every value, missing or not, goes "left", to the leaf itself.
                nodes[slot] = Node(threshold: .infinity, featureAndMissing: missingLeftBit, left: Int32(slot))
                values[slot] = tree.value[original]
                continue
            }
            let children = nodes.count
            nodes.append(Node(threshold: 0, featureAndMissing: 0, left: 0))
            nodes.append(Node(threshold: 0, featureAndMissing: 0, left: 0))
            values.append(0)
            values.append(0)
            let feature = UInt32(tree.feature[original])
            nodes[slot] = Node(threshold: tree.threshold[original], featureAndMissing: feature | (tree.missingLeft[original] ? missingLeftBit : 0),
                               left: Int32(children))
            queue.append((Int(tree.left[original]), children, level + 1))
            queue.append((Int(tree.right[original]), children + 1, level + 1))
        }
        return (root, depth)
    }

    private static func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
        let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(1, array.count))
        _ = buffer.initialize(from: array)
        return UnsafeMutableBufferPointer(rebasing: buffer[0..<array.count])
    }

    /// `base` plus every tree's leaf, added in tree order.
    func rawScore(_ x: UnsafeBufferPointer<Double>, base: Double) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: roots.count) { leaves in
            var group = 0
            var start = 0
            while start < roots.count {
                var i0 = roots[start], i1 = roots[start + 1], i2 = roots[start + 2], i3 = roots[start + 3]
                var i4 = roots[start + 4], i5 = roots[start + 5], i6 = roots[start + 6], i7 = roots[start + 7]
                var level = depths[group]
                while level > 0 {
                    i0 = step(i0, x); i1 = step(i1, x); i2 = step(i2, x); i3 = step(i3, x)
                    i4 = step(i4, x); i5 = step(i5, x); i6 = step(i6, x); i7 = step(i7, x)
                    level -= 1
                }
                leaves[start] = values[Int(i0)]; leaves[start + 1] = values[Int(i1)]
                leaves[start + 2] = values[Int(i2)]; leaves[start + 3] = values[Int(i3)]
                leaves[start + 4] = values[Int(i4)]; leaves[start + 5] = values[Int(i5)]
                leaves[start + 6] = values[Int(i6)]; leaves[start + 7] = values[Int(i7)]
                start += Self.width
                group += 1
            }
            var sum = base
            for t in 0..<treeCount { sum += leaves[t] }
            return sum
        }
    }

    /// One level down, without a branch: the artifact's rule (a missing value follows the node's
    /// direction, any other goes left when at most the threshold), as arithmetic on the child index.
    @inline(__always)
    private func step(_ index: Int32, _ x: UnsafeBufferPointer<Double>) -> Int32 {
        let node = nodes[Int(index)]
        let v = x[Int(node.featureAndMissing & ~Self.missingLeftBit)]
        let missingLeft = node.featureAndMissing & Self.missingLeftBit != 0
        let goLeft = v.isNaN ? missingLeft : v <= node.threshold
        return node.left &+ (goLeft ? 0 : 1)
    }
}
