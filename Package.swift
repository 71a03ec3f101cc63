// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "RecurCore", targets: ["RecurCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // C libraries from Debian, seen through pkg-config. Module maps and shim headers only.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLapack", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev", "liblapack-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),

        // Wrappers that own the C handles. They know nothing of the domain.
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "Kafka", dependencies: ["CRdKafka"]),
        .target(name: "LinearAlgebra", dependencies: ["CLapack"]),

        // The domain: events, store, features, training, models, evaluation.
        .target(
            name: "RecurCore",
            dependencies: [
                "Postgres", "LinearAlgebra", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The command-line tool: wiring only.
        .executableTarget(
            name: "recur",
            dependencies: [
                "RecurCore", "Postgres", "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // In-process micro-benchmarks for bench/ scripts.
        .executableTarget(
            name: "recur-bench",
            dependencies: [
                "RecurCore", "LinearAlgebra",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Fast tests: pure domain code, no servers.
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore", "LinearAlgebra"]),
        // Integration tests: the real embedded PostgreSQL, real processes.
        .testTarget(name: "IntegrationTests", dependencies: ["RecurCore", "Postgres"]),
    ]
)
