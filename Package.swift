// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .library(name: "RecurCore", targets: ["RecurCore"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-atomics", from: "1.3.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1")
    ],
    targets: [
        // C libraries from Debian, seen through pkg-config. Module maps and shim headers only.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CLapack", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev", "liblapack-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // A compiler builtin and a libc call that Swift does not expose; no library behind them.
        .systemLibrary(name: "CRecurSystem"),

        // Wrappers that own the C handles. They know nothing of the domain.
        .target(name: "Postgres", dependencies: ["CLibPQ"]),
        .target(name: "Kafka", dependencies: ["CRdKafka"]),
        .target(name: "LinearAlgebra", dependencies: ["CLapack"]),

        // The domain: events, store, features, training, models, evaluation.
        .target(
            name: "RecurCore",
            dependencies: [
                "Postgres", "Kafka", "LinearAlgebra", "CZlib", "CRecurSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit")
            ]
        ),

        // The scoring server: the line protocol (plain and RESP) and HTTP/JSON, SwiftNIO pipelines over the domain.
        .target(
            name: "RecurServer",
            dependencies: [
                "RecurCore", "Postgres", "CRecurSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Atomics", package: "swift-atomics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus")
            ],
            // Release builds skip the run-time exclusivity checks on the handlers' and the service's
            // stored properties (compile-time checks stay, and debug builds, which the tests run,
            // keep the run-time ones): they took PING at -P 16 from 3,590 to 3,927 instructions a
            // request and SCORE from 7,102 to 7,662 (callgrind, bench/serve/instructions.sh).
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),

        // The command-line tool: wiring only.
        .executableTarget(
            name: "recur",
            dependencies: [
                "RecurCore", "RecurServer", "Postgres", "Kafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log")
            ]
        ),

        // In-process micro-benchmarks for bench/ scripts.
        .executableTarget(
            name: "recur-bench",
            dependencies: [
                "RecurCore", "RecurServer", "LinearAlgebra", "Kafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser")
            ]
        ),

        // Fast tests: pure domain code, no servers.
        .testTarget(name: "RecurCoreTests", dependencies: ["RecurCore", "LinearAlgebra", "Postgres"]),
        // Fast tests of the server's framing, handlers and commands on embedded channels, no sockets.
        .testTarget(
            name: "RecurServerTests",
            dependencies: [
                "RecurServer", "RecurCore", "Postgres",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio")
            ]),
        // Integration tests: the real embedded PostgreSQL, real processes.
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "RecurCore", "RecurServer", "Postgres", "Kafka",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio")
            ]
        )
    ]
)
