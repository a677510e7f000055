// swift-tools-version: 6.1
// Tickline benchmarks: a nested package so that the main package (and CI's `swift build`) never
// pays for ordo-one/benchmark. See README.md in this folder.
import PackageDescription

/// The main package is `.package(path: "..")`, whose package identity is the name of the folder
/// it sits in ("main" in the usual checkout, but CI clones elsewhere), lowercased.
let mainPackage = String(#filePath.split(separator: "/").dropLast(2).last ?? "main").lowercased()

let package = Package(
    name: "TicklineBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        // MallocInterposer only: the default RuntimeInterposer trait needs swift-runtime-interposer,
        // which the local mirror lacks, and ARC metrics crash on Swift 6.3 Linux (PLATFORM-NOTES G8).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // The C reference ring (same design as SPSCRing) and the C side of every comparison, plus
        // pinning / rdtsc / clock_gettime helpers. SwiftPM already compiles C with clang -O2 in
        // release (checked with -v); the flag pins the level the baseline is quoted at, should that
        // default change. (gcc -O2 builds of the same ring ran ~3x slower: PLATFORM-NOTES 3.)
        .target(
            name: "CRingBaseline",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .release))]),

        // Swift side of the comparisons, shared by RingBenchmarks and RingCompare: Msg64, the
        // mutex-guarded queue baseline, pinned threads, and the Swift mirrors of the C loops.
        .target(
            name: "RingBenchSupport",
            dependencies: [
                "CRingBaseline",
                .product(name: "TicklineRing", package: mainPackage),
            ]),

        // package-benchmark suite: `swift package --allow-writing-to-package-directory benchmark`.
        .executableTarget(
            name: "RingBenchmarks",
            dependencies: [
                "RingBenchSupport",
                "CRingBaseline",
                .product(name: "TicklineRing", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

        // Interleaved Swift-vs-C comparison in one process: `swift run -c release RingCompare`.
        .executableTarget(
            name: "RingCompare",
            dependencies: [
                "RingBenchSupport",
                "CRingBaseline",
                .product(name: "TicklineRing", package: mainPackage),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]),

        // Load client for the simulator: signed REST orders/s and WebSocket messages/s.
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .executableTarget(name: "SimLoad", dependencies: ["CCrypto"]),

        // Tick-to-order through the five stages: fused on one thread (malloc count) and the
        // split-2 layout on two threads (throughput).
        .executableTarget(
            name: "PipelineBenchmarks",
            dependencies: [
                .product(name: "TicklineEngine", package: mainPackage),
                .product(name: "TicklineExecution", package: mainPackage),
                .product(name: "TicklineConfig", package: mainPackage),
                .product(name: "TicklineRing", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/PipelineBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

        // Indicator and signal cost per candle (malloc counts): IndicatorBank, the indicator and
        // signal stages, the strategy evaluator. `swift package --disable-sandbox benchmark --target IndicatorBenchmarks`.
        .executableTarget(
            name: "IndicatorBenchmarks",
            dependencies: [
                .product(name: "TicklineEngine", package: mainPackage),
                .product(name: "TicklineIndicators", package: mainPackage),
                .product(name: "TicklineStrategy", package: mainPackage),
                .product(name: "TicklineRing", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/IndicatorBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
        // Streaming indicators beside TA-Lib's C functions (the ta-lib wheel's libta-lib, dlopen'd)
        // and talipp (Python), same run: `swift run -c release IndicatorCompare`.
        .executableTarget(
            name: "IndicatorCompare",
            dependencies: [
                .product(name: "TicklineIndicators", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
            ],
            exclude: ["talipp_bench.py"],
            swiftSettings: [
                .swiftLanguageMode(.v5),  // a top-level script: globals without actor isolation
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
            ]),

        // Parser throughput on the real capture: TicklineBinance.BinanceStreamParser beside simdjson
        // ondemand (C++, Debian libsimdjson-dev) and Foundation JSONDecoder. `scripts/parser-bench.sh`.
        .target(
            name: "CSimdjsonBaseline",
            cxxSettings: [.unsafeFlags(["-std=c++17", "-O2"])],
            linkerSettings: [.linkedLibrary("simdjson")]),
        // Malloc counter interposed in the ParserCompare executable only (package-benchmark's
        // MallocInterposer does the same for ParserBenchmarks).
        .target(name: "CMallocCount", path: "Sources/ParserCompare/CMallocCount"),
        // Capture loading (one contiguous buffer + offsets), the checksum fold, the Swift pass.
        .target(
            name: "ParserBenchSupport",
            dependencies: [
                .product(name: "TicklineBinance", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
            ],
            path: "Sources/ParserCompare/Support",
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // Interleaved Swift / simdjson / JSONDecoder rounds in one process: `swift run -c release ParserCompare`.
        .executableTarget(
            name: "ParserCompare",
            dependencies: [
                "ParserBenchSupport", "CSimdjsonBaseline", "CMallocCount",
                .product(name: "TicklineBinance", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
            ],
            path: "Sources/ParserCompare/Main"),
        // package-benchmark proof of 0 mallocs per message (the plugin wants a parent folder named
        // "Benchmarks"): `swift package --disable-sandbox benchmark --target ParserBenchmarks`.
        .executableTarget(
            name: "ParserBenchmarks",
            dependencies: [
                "ParserBenchSupport",
                .product(name: "TicklineBinance", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Sources/ParserCompare/Benchmarks/ParserBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),

        // Wire-to-parsed latency against a running simulator's paced stream (`POST /sim/pace`):
        // the engine's MarketDataFeed on both socket backends (WireLatency) beside a plain C
        // blocking-recv client (CWireClient) reading the same stream. `scripts/wire-bench.sh`.
        // WireLatency must not import TicklineSim (CURing vs NIO's CSystem): the simulator runs
        // as its own process.
        .executableTarget(
            name: "WireLatency",
            dependencies: [
                .product(name: "TicklineEngine", package: mainPackage),
                .product(name: "TicklineIO", package: mainPackage),
                .product(name: "TicklineBinance", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
            ]),
        .executableTarget(
            name: "CWireClient",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .release))]),

        // Wire-to-wire: paced aggTrade → the engine's parse, risk and order stages (BinanceGateway)
        // on one thread → the order read by the simulator (OrderWireLatency), beside a minimal C
        // client answering the same tick with a signed order (COrderClient). `scripts/order-wire-bench.sh`.
        .executableTarget(
            name: "OrderWireLatency",
            dependencies: [
                .product(name: "TicklineEngine", package: mainPackage),
                .product(name: "TicklineConfig", package: mainPackage),
                .product(name: "TicklineRisk", package: mainPackage),
                .product(name: "TicklineExecution", package: mainPackage),
                .product(name: "TicklineIO", package: mainPackage),
                .product(name: "TicklineBinance", package: mainPackage),
                .product(name: "TicklineRing", package: mainPackage),
                .product(name: "TicklineCore", package: mainPackage),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "COrderClient",
            cSettings: [.unsafeFlags(["-O2"], .when(configuration: .release))],
            linkerSettings: [.linkedLibrary("crypto")]),
    ]
)
