import ArgumentParser
import Logging
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

@main
struct Tickline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickline",
        abstract: "Tickline: an automated Binance USD-M futures trading engine.",
        subcommands: [Run.self, Bench.self])
}

/// Options shared by the commands that assemble a pipeline.
struct LayoutOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (tickline.toml).")
    var config: String?

    @Option(name: .long, help: "Layout preset name (fused-1, split-2, dedicated) or layout file; overrides the config.")
    var layout: String?

    @Option(name: .long, help: "Replace every busy-spinning thread's idle strategy (yield, backoff or park): for shared hosts and tests.")
    var idle: String?

    /// Loads and validates; on any problem prints one line and exits with status 2 before any
    /// thread starts.
    func resolve() throws -> TicklineConfiguration {
        do {
            var configuration: TicklineConfiguration
            if let config {
                configuration = try TicklineConfiguration.load(path: config)
            } else {
                configuration = TicklineConfiguration(layout: try LayoutLoader.load("split-2"))
            }
            if let layout { configuration.layout = try LayoutLoader.load(layout) }
            if let idle {
                let replacement: IdleStrategyConfig
                switch idle {
                case "yield": replacement = .yield
                case "backoff": replacement = .defaultBackoff
                case "park": replacement = .park(timeoutNs: 1_000_000)
                default: throw ConfigError("--idle must be yield, backoff or park, not '\(idle)'")
                }
                configuration.layout = configuration.layout.replacingBusySpin(with: replacement)
            }
            try configuration.layout.validate(cpuCount: availableCPUCount, isCPUAvailable: isCPUAvailable)
            return configuration
        } catch let e as ConfigError {
            fail(e.description)
        } catch let e as LayoutError {
            fail(e.description)
        }
    }
}

func fail(_ message: String) -> Never {
    var line = "tickline: error: " + message + "\n"
    line.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

func makeLogger() -> Logger {
    Logger(label: "tickline") { JSONLinesLogHandler(label: $0) }
}

/// Runs the synthetic pipeline and returns its report.
func runPipeline(_ configuration: TicklineConfiguration, ticks: Int, rate: Int, timeoutSeconds: Int) throws -> PipelineReport {
    let pipeline = Pipeline(layout: configuration.layout, settings: configuration.pipeline, totalTicks: ticks,
                            ticksPerSecond: rate, logger: makeLogger())
    let clock = LiveClock()
    try pipeline.start()
    let started = clock.nowNs()
    let finished = pipeline.waitUntilDone(timeoutNs: UInt64(timeoutSeconds) * 1_000_000_000)
    let elapsed = clock.nowNs() - started
    pipeline.stop()
    if !finished {
        fail("pipeline did not hand off all \(ticks) ticks within \(timeoutSeconds) s "
             + "(\(pipeline.order.handedOff) done)")
    }
    return pipeline.report(elapsedNs: elapsed)
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine. For now: the synthetic pipeline demo for a few seconds, then its latency table.")

    @OptionGroup var options: LayoutOptions

    @Option(help: "Seconds to run.")
    var seconds: Int = 3

    func run() throws {
        let configuration = try options.resolve()
        let rate = configuration.pipeline.ticksPerSecond
        guard seconds > 0, rate > 0 else { fail("--seconds and pipeline.ticks_per_second must be > 0 for run") }
        let report = try runPipeline(configuration, ticks: seconds * rate, rate: rate, timeoutSeconds: seconds * 3 + 10)
        print(report.table, terminator: "")
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks built into the binary.", subcommands: [BenchPipeline.self])
}

struct BenchPipeline: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Tick-to-order latency through the five stages: p50/p90/p99/p99.9/max per hop and end to end.")

    @OptionGroup var options: LayoutOptions

    @Option(help: "Ticks to send through the pipeline.")
    var ticks: Int = 1_000_000

    @Option(help: "Ticks per second (0 = as fast as the pipeline takes them: measures throughput, not latency).")
    var rate: Int = 100_000

    @Option(help: "Ticks the parse stage takes per duty cycle (1 = run each tick to completion; larger = more throughput, more queueing).")
    var batch: Int?

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Give up after this many seconds.")
    var timeout: Int = 120

    func run() throws {
        var configuration = try options.resolve()
        guard ticks > 0, rate >= 0 else { fail("--ticks must be > 0 and --rate ≥ 0") }
        if let batch {
            guard batch >= 1, batch <= 4096 else { fail("--batch must be in 1...4096") }
            configuration.pipeline.parseBatch = batch
        }
        let report = try runPipeline(configuration, ticks: ticks, rate: rate, timeoutSeconds: timeout)
        print(json ? report.json : report.table, terminator: json ? "\n" : "")
    }
}
