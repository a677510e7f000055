// swift-tools-version: 6.1
// Tickline: an automated Binance USD-M futures trading engine.
// Module layout and import rules: see ARCHITECTURE.md (shared) and README.md.
import PackageDescription

/// Hot-path modules. Release builds drop Swift's dynamic exclusivity checks: stage agents are
/// classes whose state is touched inside the non-escaping closures of `SPSCRing.drain`, and each
/// such access otherwise costs a `swift_beginAccess` call per message (callgrind: ~15 % of the
/// fused pipeline's instructions). Debug builds, which run the tests, keep the checks.
let hotPathSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Tickline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tickline", targets: ["tickline"]),
        .library(name: "TicklineCore", targets: ["TicklineCore"]),
        .library(name: "TicklineRing", targets: ["TicklineRing"]),
        .library(name: "TicklineEngine", targets: ["TicklineEngine"]),
        .library(name: "TicklineConfig", targets: ["TicklineConfig"]),
        .library(name: "TicklineSim", targets: ["TicklineSim"]),
        .library(name: "TicklineIO", targets: ["TicklineIO"]),
        .library(name: "TicklineBinance", targets: ["TicklineBinance"]),
        .library(name: "TicklineIndicators", targets: ["TicklineIndicators"]),
        .library(name: "TicklineStrategy", targets: ["TicklineStrategy"]),
        .library(name: "TicklineStore", targets: ["TicklineStore"]),
        .library(name: "TicklineRisk", targets: ["TicklineRisk"]),
        .library(name: "TicklineExecution", targets: ["TicklineExecution"]),
        .library(name: "TicklineTuning", targets: ["TicklineTuning"]),
        .library(name: "TicklineControl", targets: ["TicklineControl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.7.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Thin C bindings. Each is a module map plus a shim header (see PLATFORM-NOTES G1, G3).
        .systemLibrary(name: "CURing", pkgConfig: "liburing", providers: [.apt(["liburing-dev"])]),
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb", providers: [.apt(["liblmdb-dev"])]),
        .systemLibrary(name: "CNUMA", pkgConfig: "numa", providers: [.apt(["libnuma-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        // GNU-only calls and macros that `import Glibc` does not expose (PLATFORM-NOTES G2).
        .target(name: "CTicklineShims"),

        .target(name: "TicklineCore", swiftSettings: hotPathSettings),
        .target(
            name: "TicklineRing",
            dependencies: ["TicklineCore", "CNUMA", "CTicklineShims"],
            swiftSettings: hotPathSettings),
        // io_uring loop, sockets, TLS and the WebSocket/HTTP codecs (no Foundation).
        .target(
            name: "TicklineIO",
            dependencies: ["TicklineCore", "CURing", "COpenSSL", "CTicklineShims"],
            swiftSettings: hotPathSettings),
        // The Binance USD-M wire protocol: parsers, builders, signing (pure code, no I/O).
        .target(
            name: "TicklineBinance",
            dependencies: ["TicklineCore", "COpenSSL"],
            swiftSettings: hotPathSettings),
        // Streaming technical indicators per (symbol, interval): pure Double arithmetic, no Foundation.
        .target(name: "TicklineIndicators", dependencies: ["TicklineCore"], swiftSettings: hotPathSettings),
        // Rule strategies and the signal combiner (the rule half of the signal stage; no Foundation).
        .target(
            name: "TicklineStrategy", dependencies: ["TicklineCore", "TicklineIndicators"],
            swiftSettings: hotPathSettings),
        // LMDB environments, tables and record layouts, and the journal writer agent (no Foundation).
        .target(
            name: "TicklineStore",
            dependencies: ["CLMDB", "TicklineCore", "TicklineRing"],
            swiftSettings: hotPathSettings),
        // Risk: accounts and switches, signal validation, sizing, positions, SL/TP, margin call, funding.
        // Pure logic over flat preallocated state; the single writer of positions and balances.
        .target(name: "TicklineRisk", dependencies: ["TicklineCore"], swiftSettings: hotPathSettings),
        // The order gateway's venue client: signing, server time, client order ids, rate limiter and the
        // signed REST calls over the I/O loop (no Foundation).
        .target(
            name: "TicklineExecution",
            dependencies: ["TicklineCore", "TicklineIO", "TicklineBinance", "COpenSSL"],
            swiftSettings: hotPathSettings),
        .target(
            name: "TicklineConfig",
            dependencies: [
                "TicklineCore", "TicklineRing",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: hotPathSettings),
        .target(
            name: "TicklineEngine",
            dependencies: [
                "TicklineCore", "TicklineRing", "TicklineConfig", "TicklineIO", "TicklineBinance", "CTicklineShims",
                "TicklineIndicators", "TicklineStrategy", "TicklineStore", "TicklineRisk", "TicklineExecution",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: hotPathSettings),
        // The bundled Binance USD-M venue. Deliberately on SwiftNIO/Hummingbird and sharing no
        // protocol code with the engine, so that one side's bug cannot hide the other's.
        .target(
            name: "TicklineSim",
            dependencies: [
                "COpenSSL",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // The control plane: REST API with JWT, WebSocket events, /health, Prometheus metrics, alerts,
        // the scheduler. Reads what the data plane publishes; sends commands in through a ring. Cold
        // code on its own threads (SwiftNIO via Hummingbird): never imports TicklineIO.
        .target(
            name: "TicklineControl",
            dependencies: [
                "TicklineCore", "TicklineRing", "TicklineConfig", "TicklineEngine", "TicklineStore",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        // `tickline tune check`: reads /proc and /sys (under a root prefix, for test fixtures) and
        // checks the host against a layout. Cold code: Foundation is fine here.
        .target(
            name: "TicklineTuning",
            dependencies: ["TicklineRing"],
            swiftSettings: [.enableUpcomingFeature("ExistentialAny")]),
        .executableTarget(
            name: "tickline",
            dependencies: [
                "TicklineCore", "TicklineRing", "TicklineConfig", "TicklineEngine", "TicklineSim", "TicklineBinance",
                "TicklineIndicators", "TicklineStrategy", "TicklineStore",
                "TicklineTuning", "TicklineControl",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: hotPathSettings),

        // Helpers shared by the test targets (real OS threads for concurrency tests).
        .target(name: "TicklineTestSupport", path: "Tests/TicklineTestSupport"),
        .testTarget(name: "TicklineCoreTests", dependencies: ["TicklineCore"], resources: [.copy("Fixtures")]),
        .testTarget(
            name: "TicklineRingTests", dependencies: ["TicklineRing", "TicklineCore", "CTicklineShims", "TicklineTestSupport"]),
        .testTarget(
            name: "TicklineIOTests", dependencies: ["TicklineIO", "TicklineCore", "TicklineTestSupport"], exclude: ["Scripts"]),
        .testTarget(name: "TicklineBinanceTests", dependencies: ["TicklineBinance", "TicklineCore"]),
        .testTarget(name: "TicklineSimTests", dependencies: ["TicklineSim"], exclude: ["Fixtures"]),
        .testTarget(name: "TicklineIndicatorsTests", dependencies: ["TicklineIndicators", "TicklineCore", "TicklineTestSupport"]),
        .testTarget(
            name: "TicklineStrategyTests",
            dependencies: ["TicklineStrategy", "TicklineIndicators", "TicklineCore", "TicklineTestSupport"]),
        .testTarget(
            name: "TicklineStoreTests",
            dependencies: ["TicklineStore", "TicklineCore", "TicklineRing", "TicklineTestSupport"],
            exclude: ["CrashHelper"]),
        // Writes to an LMDB environment until SIGKILLed: the store's crash-recovery test spawns it.
        .executableTarget(
            name: "TicklineStoreCrashHelper",
            dependencies: ["TicklineStore", "CLMDB"],
            path: "Tests/TicklineStoreTests/CrashHelper"),
        .testTarget(
            name: "TicklineExecutionTests",
            dependencies: ["TicklineExecution", "TicklineCore", "TicklineIO", "TicklineBinance", "TicklineTestSupport"]),
        .testTarget(name: "TicklineRiskTests", dependencies: ["TicklineRisk", "TicklineCore"]),
        .testTarget(
            name: "TicklineControlTests",
            dependencies: [
                "TicklineControl", "TicklineEngine", "TicklineCore", "TicklineRing", "TicklineConfig", "TicklineStore",
                "TicklineTestSupport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ],
            exclude: ["Scripts"]),
        .testTarget(name: "TicklineConfigTests", dependencies: ["TicklineConfig", "TicklineRing"]),
        .testTarget(
            name: "TicklineTuningTests",
            dependencies: ["TicklineTuning", "TicklineConfig", "TicklineRing", "TicklineCore", "TicklineTestSupport"],
            exclude: ["Fixtures"]),
        .testTarget(
            name: "TicklineEngineTests",
            dependencies: [
                "TicklineEngine", "TicklineRing", "TicklineCore", "TicklineConfig", "TicklineTestSupport",
                "TicklineIndicators", "TicklineStrategy", "TicklineRisk", "TicklineExecution", "TicklineBinance",
                "TicklineIO", "TicklineStore", .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Scripts", "CrashChild"]),
        // The engine's trading half as a process the crash tests drive through stdin and SIGKILL.
        .executableTarget(
            name: "TicklineEngineCrashChild",
            dependencies: [
                "TicklineEngine", "TicklineCore", "TicklineConfig", "TicklineRisk", "TicklineExecution", "TicklineBinance",
                "TicklineIO", "TicklineStore", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Tests/TicklineEngineTests/CrashChild"),
    ]
)
