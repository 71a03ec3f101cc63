import CLapack

/// A dense matrix of doubles in row-major order: rows are observations, columns features.
public struct Matrix: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(values.count == rows * columns, "matrix needs rows × columns values")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    public init(rows: Int, columns: Int, repeating value: Double = 0) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: value, count: rows * columns))
    }

    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// AᵀA (upper triangle filled, then mirrored) with BLAS dsyrk: the Gram matrix of the columns.
    public func gram() -> Matrix {
        var out = Matrix(rows: columns, columns: columns)
        addGram(ofFirst: rows, into: &out)
        out.mirrorUpper()
        return out
    }

    /// Aᵀv with BLAS dgemv.
    public func transposeTimes(_ vector: [Double]) -> [Double] {
        precondition(vector.count == rows)
        var out = [Double](repeating: 0, count: columns)
        addTransposeTimes(vector, into: &out)
        return out
    }

    /// Av with BLAS dgemv.
    public func times(_ vector: [Double]) -> [Double] { times(vector, firstRows: rows) }
}

/// A symmetric positive-definite system solved by Cholesky factorisation (LAPACK dpotrf + dpotrs).
public enum Cholesky {
    /// Why a system could not be solved.
    public enum Failure: Error, CustomStringConvertible {
        case notPositiveDefinite(column: Int)
        public var description: String { "matrix is not positive definite (leading minor \(column) is not positive)" }
        var column: Int { if case .notPositiveDefinite(let c) = self { return c }; return 0 }
    }

    /// Solves A x = b for symmetric positive-definite A.
    public static func solve(_ a: Matrix, _ b: [Double]) throws(Failure) -> [Double] {
        precondition(a.rows == a.columns && b.count == a.rows)
        var factor = a.values
        var x = b
        var n = Int32(a.rows), nrhs: Int32 = 1, info: Int32 = 0
        var uplo = CChar(UInt8(ascii: "U"))
        // Row-major symmetric = column-major symmetric: the same bytes.
        factor.withUnsafeMutableBufferPointer { f in dpotrf_(&uplo, &n, f.baseAddress, &n, &info) }
        guard info == 0 else { throw .notPositiveDefinite(column: Int(info)) }
        factor.withUnsafeMutableBufferPointer { f in
            x.withUnsafeMutableBufferPointer { xb in dpotrs_(&uplo, &n, &nrhs, f.baseAddress, &n, xb.baseAddress, &n, &info) }
        }
        guard info == 0 else { throw .notPositiveDefinite(column: Int(info)) }
        return x
    }
}

extension Matrix {
    /// Adds the Gram matrix of the first `count` rows to `out`'s upper triangle (BLAS dsyrk with β = 1):
    /// a sum of AᵀA over blocks of rows, so that no more than one block is ever held.
    public func addGram(ofFirst count: Int, into out: inout Matrix) {
        precondition(count <= rows && out.rows == columns && out.columns == columns)
        guard count > 0 else { return }
        values.withUnsafeBufferPointer { a in
            out.values.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(
                    CblasRowMajor, CblasUpper, CblasTrans, Int32(columns), Int32(count), 1.0,
                    a.baseAddress, Int32(columns), 1.0, c.baseAddress, Int32(columns))
            }
        }
    }

    /// Fills the lower triangle from the upper one, after `addGram`.
    public mutating func mirrorUpper() {
        for i in 0..<rows { for j in 0..<i { values[i * columns + j] = values[j * columns + i] } }
    }

    /// Adds Aᵀv over the first `vector.count` rows to `out` (BLAS dgemv with β = 1).
    public func addTransposeTimes(_ vector: [Double], into out: inout [Double]) {
        precondition(vector.count <= rows && out.count == columns)
        guard !vector.isEmpty else { return }
        values.withUnsafeBufferPointer { a in
            vector.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in
                    cblas_dgemv(
                        CblasRowMajor, CblasTrans, Int32(vector.count), Int32(columns), 1.0, a.baseAddress, Int32(columns),
                        x.baseAddress, 1, 1.0, y.baseAddress, 1)
                }
            }
        }
    }

    /// Av over the first `count` rows (BLAS dgemv).
    public func times(_ vector: [Double], firstRows count: Int) -> [Double] {
        precondition(vector.count == columns && count <= rows)
        var out = [Double](repeating: 0, count: count)
        guard count > 0 else { return out }
        values.withUnsafeBufferPointer { a in
            vector.withUnsafeBufferPointer { x in
                out.withUnsafeMutableBufferPointer { y in
                    cblas_dgemv(
                        CblasRowMajor, CblasNoTrans, Int32(count), Int32(columns), 1.0, a.baseAddress, Int32(columns),
                        x.baseAddress, 1, 0.0, y.baseAddress, 1)
                }
            }
        }
        return out
    }
}
