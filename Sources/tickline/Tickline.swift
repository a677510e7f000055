import ArgumentParser
import Logging
import TicklineConfig
import TicklineControl
import TicklineCore
import TicklineEngine
import TicklineRing
import TicklineSim

#if canImport(Glibc)
import Glibc
#endif

/// The engine's version (`/api/v1/version`, `tickline --version`).
let ticklineVersion = "0.8.0"

@main
struct Tickline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tickline",
        abstract: "Tickline: an automated Binance USD-M futures trading engine.",
        version: ticklineVersion,
        subcommands: [Run.self, Sim.self, Parse.self, Indicators.self, Signals.self, Bench.self, Tune.self, Export.self,
                      Token.self])
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

func makeLogger(level: Logger.Level = .info) -> Logger {
    var logger = Logger(label: "tickline") { JSONLinesLogHandler(label: $0) }
    logger.logLevel = level
    return logger
}

/// Runs the synthetic pipeline and returns its report and a line of indicator/signal counters.
func runPipeline(_ configuration: TicklineConfiguration, ticks: Int, rate: Int, timeoutSeconds: Int) throws
    -> (PipelineReport, String)
{
    let analysis: AnalysisConfiguration
    do {
        analysis = try AnalysisConfiguration(configuration.strategy, subscribed: configuration.venue.intervals)
    } catch {
        fail("[strategy]: \(error)")
    }
    let pipeline = Pipeline(layout: configuration.layout, settings: configuration.pipeline, totalTicks: ticks,
                            ticksPerSecond: rate, logger: makeLogger(), analysis: analysis)
    let clock = LiveClock()
    try pipeline.start()
    let started = clock.nowNs()
    let finished = pipeline.waitUntilDone(timeoutNs: UInt64(timeoutSeconds) * 1_000_000_000)
    let elapsed = clock.nowNs() - started
    pipeline.stop()
    if !finished {
        fail("pipeline did not process all \(ticks) ticks within \(timeoutSeconds) s "
             + "(\(pipeline.parse.emitted) emitted, \(pipeline.indicator.handled) events through the indicator stage)")
    }
    return (pipeline.report(elapsedNs: elapsed), pipeline.analysisSummary + pipeline.tradingSummary)
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the engine on live market data (the bundled simulator by default) and print what arrived.",
        discussion: """
            --venue sim (the default) starts the bundled exchange simulator in this process and \
            connects the parse stage to it over io_uring WebSockets: exchange info over REST, then \
            aggTrade, markPrice@1s and kline 1m/5m/15m/1h/4h on /market and bookTicker on /public. \
            --venue ws://HOST:PORT connects to a running simulator; --venue synthetic runs the \
            synthetic tick source instead. With a venue the engine trades: the start-up sequence (server \
            time, balance, positions, leverage, margin type) runs first, then risk sizes every signal and \
            the order stage places market orders with exchange-side stop-loss / take-profit orders over \
            REST and follows fills on the user-data stream. Accounts come from [[accounts]] (default: \
            the simulator's demo account); --no-trading runs market data, indicators and signals only.             The control plane runs beside it ([control]): the REST API, /health and WebSocket events             on --port (8080), Prometheus metrics on --metrics-port (9464), with the JWT secret from             TICKLINE_JWT_SECRET ([control] jwt_secret_env / jwt_secret_file); --no-control leaves it out.             SIGTERM or SIGINT stops the engine gracefully: intake stops, the rings drain, the journal             commits, exit status 0.
            """)

    @OptionGroup var options: LayoutOptions

    @Option(help: "Seconds to run; 0 runs until SIGTERM or SIGINT.")
    var seconds: Int = 3

    @Option(help: "Control plane port: REST API, /health, WebSocket events (default: [control] port, 8080; 0 picks one).")
    var port: Int?

    @Option(help: "Prometheus metrics port (default: [control] metrics_port, 9464).")
    var metricsPort: Int?

    @Flag(help: "No control plane (no REST API, WebSocket events, metrics).")
    var noControl = false

    @Option(help: """
        sim (the bundled simulator, in this process), synthetic (generated ticks, no sockets), \
        config (the [venue] URLs of --config; Binance by default), or a stream URL ws://HOST:PORT or \
        wss://HOST:PORT (REST on the same host and port).
        """)
    var venue = "sim"

    @Option(help: "Symbols to subscribe, comma-separated (default: [venue] symbols).")
    var symbols: String?

    @Option(help: "Socket backend: uring (io_uring, the default) or poll (non-blocking sockets polled in a spin).")
    var backend: String?

    @Option(help: "Log level: trace, debug (one line per closed candle), info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "LMDB store directory (default: [store] directory, \"data\").")
    var store: String?

    @Flag(help: "Keep no journal: the journal rings are counted and dropped.")
    var noStore = false

    @Option(help: "With --venue sim: minutes of market history the simulator makes up first (for the warm-up).")
    var simHistory = 120

    @Flag(help: "Market data, indicators and signals only: no start-up sync, no orders to the venue.")
    var noTrading = false

    func run() async throws {
        var configuration = try options.resolve()
        guard seconds >= 0 else { fail("--seconds must be ≥ 0") }
        guard let level = Logger.Level(rawValue: logLevel) else { fail("--log-level \(logLevel): not a level") }
        if venue == "synthetic" {
            guard seconds > 0 else { fail("--venue synthetic needs --seconds > 0") }
            let rate = configuration.pipeline.ticksPerSecond
            guard rate > 0 else { fail("pipeline.ticks_per_second must be > 0 for run") }
            let (report, summary) = try runPipeline(configuration, ticks: seconds * rate, rate: rate,
                                                    timeoutSeconds: seconds * 3 + 10)
            print(report.table + summary, terminator: "")
            return
        }
        if let symbols { configuration.venue.symbols = symbols.split(separator: ",").map(String.init) }
        if let store { configuration.store.directory = store }
        if noStore { configuration.store.enabled = false }
        if let backend {
            guard let b = VenueSettings.Backend(rawValue: backend) else { fail("--backend must be uring or poll") }
            configuration.venue.backend = b
        }
        var simulator: Task<Void, any Error>?
        if venue == "sim" {
            simulator = try await startSimulator(pointing: &configuration.venue, historyMinutes: max(0, simHistory))
        } else if let url = VenueURL(venue, schemes: ("ws", "wss")) {
            configuration.venue.streamURL = url
            configuration.venue.restURL = VenueURL(secure: url.secure, host: url.host, port: url.port, path: "")
        } else if venue != "config" {
            fail("--venue must be sim, synthetic, config, or ws://HOST:PORT / wss://HOST:PORT")
        }
        defer { simulator?.cancel() }
        if let port { configuration.control.port = port }
        if let metricsPort { configuration.control.metricsPort = metricsPort }
        if noControl { configuration.control.enabled = false }
        let host = configuration.control.host
        do {
            let report = try await EngineRun.run(
                configuration, seconds: seconds > 0 ? seconds : nil, logger: makeLogger(level: level), trading: !noTrading,
                version: ticklineVersion
            ) { port, metrics in
                guard port > 0 else { return }
                // Unbuffered: scripts wait for this line while the engine runs.
                var line = "control plane: REST http://\(host):\(port)/api/v1  WebSocket ws://\(host):\(port)/ws  "
                    + "health http://\(host):\(port)/health  metrics http://\(host):\(metrics)/metrics\n"
                line.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
            }
            print(report, terminator: "")
        } catch let e as LiveRun.Failure {
            fail(e.description)
        } catch let e as EngineRun.Failure {
            fail(e.description)
        }
    }
}

/// Starts the bundled simulator in this process on a free loopback port and points `venue` at it.
func startSimulator(pointing venue: inout VenueSettings, historyMinutes: Int = 0) async throws -> Task<Void, any Error> {
    let (stream, continuation) = AsyncStream<Int>.makeStream()
    var o = SimOptions()
    o.port = 0
    o.historyMinutes = historyMinutes
    o.onListening = { continuation.yield($0); continuation.finish() }
    let simulator = Task { try await SimServer.run(o) }
    var it = stream.makeAsyncIterator()
    guard let p = await it.next() else { fail("the simulator did not start") }
    venue.restURL = VenueURL(secure: false, host: "127.0.0.1", port: UInt16(p), path: "")
    venue.streamURL = venue.restURL
    return simulator
}

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks built into the binary.", subcommands: [BenchPipeline.self, BenchStore.self, BenchControl.self])
}

struct BenchPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Tick-to-order latency through the five stages: p50/p90/p99/p99.9/max per hop and end to end.",
        discussion: """
            --source sim (the default) runs the real parse stage on the bundled simulator's stream \
            (loopback, io_uring or --backend poll): --ticks aggTrade messages paced at --rate per \
            second (default 20 000 at 5 000/s) on top of the subscribed streams; hops start when \
            the bytes leave the socket. --source synthetic feeds generated ticks straight into the \
            stages (default 1 000 000 at 100 000/s; --rate 0 measures throughput). With --source \
            synthetic, --journal on writes the journal rings to LMDB (a temporary store, as `run` \
            keeps it) instead of dropping them; --journal both runs the pipeline twice in this \
            process, without and with the journal, and prints both tables and the tick-to-order \
            p99 ratio.
            """)

    @OptionGroup var options: LayoutOptions

    @Option(help: "sim (real parse stage on the simulator's stream) or synthetic (generated ticks).")
    var source = "sim"

    @Option(help: "Ticks (paced messages) to send through the pipeline.")
    var ticks: Int?

    @Option(help: "Ticks per second (synthetic: 0 = as fast as the pipeline takes them).")
    var rate: Int?

    @Option(help: "Socket backend for --source sim: uring or poll.")
    var backend: String?

    @Option(help: "Ticks the synthetic parse stage takes per duty cycle (1 = run each tick to completion; larger = more throughput, more queueing).")
    var batch: Int?

    @Option(help: "Synthetic: off (journal rings counted and dropped), on (written to a temporary LMDB store) or both (two runs, compared).")
    var journal = "off"

    @Flag(help: "Print one JSON object instead of the table.")
    var json = false

    @Option(help: "Give up after this many seconds (synthetic).")
    var timeout: Int = 120

    func run() async throws {
        var configuration = try options.resolve()
        guard ["off", "on", "both"].contains(journal) else { fail("--journal must be off, on or both") }
        switch source {
        case "synthetic":
            let ticks = self.ticks ?? 1_000_000, rate = self.rate ?? 100_000
            guard ticks > 0, rate >= 0 else { fail("--ticks must be > 0 and --rate ≥ 0") }
            if let batch {
                guard batch >= 1, batch <= 4096 else { fail("--batch must be in 1...4096") }
                configuration.pipeline.parseBatch = batch
            }
            if journal != "off" {
                try benchPipelineJournal(configuration, ticks: ticks, rate: rate, timeoutSeconds: timeout,
                                         mode: journal, json: json)
                return
            }
            let (report, summary) = try runPipeline(configuration, ticks: ticks, rate: rate, timeoutSeconds: timeout)
            print(json ? report.json : report.table + summary, terminator: json ? "\n" : "")
        case "sim":
            let ticks = self.ticks ?? 20_000, rate = self.rate ?? 5_000
            guard ticks > 0, ticks <= 1_000_000, rate > 0, rate <= 100_000 else {
                fail("--source sim: --ticks must be in 1...1000000 and --rate in 1...100000")
            }
            guard journal == "off" else { fail("--journal applies to --source synthetic") }
            if let backend {
                guard let b = VenueSettings.Backend(rawValue: backend) else { fail("--backend must be uring or poll") }
                configuration.venue.backend = b
            }
            configuration.venue.symbols = ["BTCUSDT"]
            configuration.venue.warmupCandles = 0
            configuration.store.enabled = false  // LMDB syncs stay off the measured threads
            let simulator = try await startSimulator(pointing: &configuration.venue)
            defer { simulator.cancel() }
            do {
                let (report, counters) = try LiveRun.benchPaced(configuration, messages: ticks, rate: rate, logger: makeLogger())
                print(json ? report.json : report.table + counters, terminator: json ? "\n" : "")
            } catch let e as LiveRun.Failure {
                fail(e.description)
            }
        default:
            fail("--source must be sim or synthetic")
        }
    }
}

struct Sim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the bundled Binance USD-M futures exchange simulator on loopback.",
        discussion: """
            Serves Binance's USD-M REST API (/fapi/...), the market streams (/market/ws/<stream>, \
            /market/stream?streams=a/b; book streams under /public/...) and user data \
            (/private/ws?listenKey=KEY). Prints "listening on http://HOST:PORT" as its first line. \
            Without --config it lists BTCUSDT and ETHUSDT and a demo account: API key demo-key, \
            secret demo-secret, 10 000 USDT. The admin API under /sim/ (ledger, set price, advance \
            the manual clock, faults) is on for loopback binds.
            """)

    @Option(help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port to bind; 0 picks a free one (printed on the first line).")
    var port = 8090

    @Option(help: "Simulator config (TOML): symbols and accounts.")
    var config: String?

    @Option(help: "Seed of the deterministic price walk and order book.")
    var seed: UInt64 = 1

    @Option(help: "Price source: random (seeded walk), klines:FILE[@SYMBOL] (kline CSV replayed on SYMBOL, default BTCUSDT) or capture:FILE[,FILE] (trades of a Binance WebSocket capture, .gz or text). Replayed symbols continue with the walk when the data runs out.")
    var source = "random"

    @Option(help: "Replay speed factor for replay sources.")
    var speed = 1.0

    @Flag(help: "Manual clock: time moves only through POST /sim/advance?ms=N (deterministic mode).")
    var manualClock = false

    @Flag(help: "Also serve the pre-2026 /ws and /stream WebSocket paths.")
    var legacyPaths = false

    @Option(help: "Admin API under /sim/: on or off (default: on for loopback binds).")
    var admin: String?

    @Option(help: "Market model time step in milliseconds: the walk moves once per step (live clock: also the timer; manual clock: coarser steps make long /sim/advance jumps fast).")
    var stepMs = 100

    @Option(help: "Minutes of random-walk history made up before serving, so klines and warm-ups find candles (0: start empty).")
    var historyMinutes = 0

    @Option(help: "Seconds between server pings; clients that do not answer are closed.")
    var pingInterval = 180

    @Option(help: "Seconds after which every WebSocket connection is closed (Binance: 24 h).")
    var connectionLifetime = 24 * 3600

    @Option(help: "Minutes a listen key stays valid without a keep-alive.")
    var listenKeyMinutes = 60

    @Option(help: "REQUEST_WEIGHT limit per minute.")
    var weightLimit = 2400

    @Option(name: .customLong("order-limit-10s"), help: "ORDERS limit per 10 seconds.")
    var orderLimit10s = 300

    @Option(name: .customLong("order-limit-1m"), help: "ORDERS limit per minute.")
    var orderLimit1m = 1200

    @Option(help: "Fault: close every WebSocket connection every N seconds (0 = never).")
    var dropEvery = 0

    @Option(help: "Fault: fraction (0-1) of REST calls answered with 503.")
    var restErrorFraction = 0.0

    @Option(help: "Fault: delay every REST answer by this many milliseconds.")
    var restDelayMs = 0

    @Option(help: "Fault: split every fill into N partial fills.")
    var partialFills = 1

    @Option(help: "Fault: make every Nth stream message malformed (0 = never).")
    var malformedEvery = 0

    @Option(help: "Fault: skew the server clock by this many milliseconds.")
    var clockSkewMs: Int64 = 0

    func run() async throws {
        if let problem = SimReplayLoader.validateForm(source) { fail(problem) }
        if source != "random", !(speed.isFinite && speed > 0) { fail("--speed must be > 0") }
        guard (0...65535).contains(port) else { fail("--port must be in 0...65535") }
        guard (0.0...1.0).contains(restErrorFraction) else { fail("--rest-error-fraction must be in 0...1") }
        var o = SimOptions()
        o.host = host
        o.port = port
        o.seed = seed
        o.configPath = config
        o.source = source
        o.speed = speed
        o.manualClock = manualClock
        o.legacyPaths = legacyPaths
        switch admin {
        case nil: o.admin = nil
        case "on": o.admin = true
        case "off": o.admin = false
        default: fail("--admin must be on or off")
        }
        o.marketStepMs = max(1, stepMs)
        o.historyMinutes = max(0, historyMinutes)
        o.pingIntervalSeconds = max(1, pingInterval)
        o.connectionLifetimeSeconds = max(1, connectionLifetime)
        o.listenKeyValidityMinutes = max(1, listenKeyMinutes)
        o.limits.requestWeightPerMinute = weightLimit
        o.limits.ordersPer10s = orderLimit10s
        o.limits.ordersPerMinute = orderLimit1m
        o.faults.dropConnectionsEverySeconds = dropEvery
        o.faults.restErrorFraction = restErrorFraction
        o.faults.restDelayMs = restDelayMs
        o.faults.partialFills = max(1, partialFills)
        o.faults.malformedEvery = malformedEvery
        o.faults.clockSkewMs = clockSkewMs
        do {
            try await SimServer.run(o)
        } catch let e as SimConfigError {
            fail(e.description)
        }
    }
}
