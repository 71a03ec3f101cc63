import CLapack

/// Facts about the linked BLAS.
public enum BLAS {
    /// OpenBLAS's build configuration string.
    public static var configuration: String { String(cString: openblas_get_config()) }
}
