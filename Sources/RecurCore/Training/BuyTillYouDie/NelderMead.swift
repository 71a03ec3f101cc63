/// Nelder–Mead simplex minimisation (with the standard coefficients), for smooth low-dimensional fits.
enum NelderMead {
    static func minimize(_ f: ([Double]) -> Double, start: [Double], step: Double = 0.5, tolerance: Double = 1e-12, iterations: Int = 20_000) -> (
        point: [Double], value: Double, iterations: Int
    ) {
        let n = start.count
        var simplex =
            [start]
            + (0..<n).map { i in
                var p = start; p[i] += step; return p
            }
        var values = simplex.map(f)
        var used = 0
        for _ in 0..<iterations {
            used += 1
            let order = values.indices.sorted { values[$0] < values[$1] }
            simplex = order.map { simplex[$0] }
            values = order.map { values[$0] }
            if abs(values[n] - values[0]) <= tolerance * (abs(values[0]) + 1e-30) { break }
            var centroid = [Double](repeating: 0, count: n)
            for p in simplex.dropLast() { for i in 0..<n { centroid[i] += p[i] / Double(n) } }
            func along(_ t: Double) -> [Double] { (0..<n).map { centroid[$0] + t * (simplex[n][$0] - centroid[$0]) } }
            let reflected = along(-1), fr = f(reflected)
            if fr < values[0] {
                let expanded = along(-2), fe = f(expanded)
                (simplex[n], values[n]) = fe < fr ? (expanded, fe) : (reflected, fr)
            } else if fr < values[n - 1] {
                (simplex[n], values[n]) = (reflected, fr)
            } else {
                let contracted = fr < values[n] ? along(-0.5) : along(0.5), fc = f(contracted)
                if fc < min(fr, values[n]) {
                    (simplex[n], values[n]) = (contracted, fc)
                } else {
                    for j in 1...n {
                        simplex[j] = (0..<n).map { simplex[0][$0] + 0.5 * (simplex[j][$0] - simplex[0][$0]) }
                        values[j] = f(simplex[j])
                    }
                }
            }
        }
        let best = values.indices.min { values[$0] < values[$1] }!
        return (simplex[best], values[best], used)
    }

    /// Restarts from the best point with a smaller simplex until a restart gains nothing: one run can
    /// stop on a ridge. Returns the point, the value and the iterations of all runs.
    static func minimizeWithRestarts(_ f: ([Double]) -> Double, start: [Double], budget: Int = 20_000) -> (point: [Double], value: Double, iterations: Int) {
        var best = minimize(f, start: start, iterations: budget)
        var total = best.iterations
        for _ in 0..<6 where total < budget {
            let next = minimize(f, start: best.point, step: 0.1, iterations: budget - total)
            total += next.iterations
            let improved = best.value - next.value
            if next.value < best.value { best = next }
            if improved < 1e-10 { break }
        }
        return (best.point, best.value, total)
    }
}
