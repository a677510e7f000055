import Logging
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// `tickline run` on a live venue: exchange info over REST (the symbols' scales), then the
/// pipeline with the live parse stage subscribed to aggTrade, markPrice@1s and klines on
/// `/market` and bookTicker on `/public`; runs for `seconds` and returns the report.
public enum LiveRun {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static let intervals: [Interval] = [.m1, .m5, .m15, .h1, .h4]

    /// - Parameter backend: `uring` (io_uring, the default) or `poll` (non-blocking sockets polled in a spin).
    public static func run(_ configuration: TicklineConfiguration, host: String, port: UInt16, symbols: [String],
                           seconds: Int, backend: String = "uring", logger: Logger) throws -> String {
        guard let address = (try? SocketAddress.resolve(host: host, port: port))?.first else {
            throw Failure(description: "cannot resolve \(host)")
        }
        let authority = "\(host):\(port)"
        let info = try StartupHTTP.get(address, host: authority, path: "/fapi/v1/exchangeInfo")
        guard info.status == 200 else { throw Failure(description: "exchangeInfo: HTTP \(info.status)") }
        let listed = try info.body.withUnsafeBytes { try BinanceREST.exchangeInfo($0) }
        var table = SymbolTable()
        for name in symbols {
            guard let s = listed.first(where: { $0.symbol == name }) else {
                throw Failure(description: "symbol \(name) is not listed by the venue")
            }
            try table.intern(.init(name: name, priceScale: s.priceScale, quantityScale: s.quantityScale))
        }
        let lower = table.entries.map { $0.name.lowercased() }
        let market = lower.flatMap { s in ["\(s)@aggTrade", "\(s)@markPrice@1s"] + intervals.map { "\(s)@kline_\($0.name)" } }
        let book = lower.map { "\($0)@bookTicker" }
        let endpoints = [
            MarketDataEndpoint(address: address, host: authority, path: "/market/stream?streams=" + market.joined(separator: "/")),
            MarketDataEndpoint(address: address, host: authority, path: "/public/stream?streams=" + book.joined(separator: "/")),
        ]
        let parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        let makeStage: (PipelineRings) -> any LiveParseStats
        switch backend {
        case "uring":
            let loop = try URingLoop()
            makeStage = { rings in
                LiveParseStage(rings: rings, symbolCount: table.count, intervals: intervals, endpoints: endpoints,
                               parser: parser, loop: loop)
            }
        case "poll":
            let loop = PollingSocketLoop()
            makeStage = { rings in
                LiveParseStage(rings: rings, symbolCount: table.count, intervals: intervals, endpoints: endpoints,
                               parser: parser, loop: loop)
            }
        default:
            throw Failure(description: "backend must be uring or poll, not \(backend)")
        }
        var settings = configuration.pipeline
        settings.symbols = table.entries.map(\.name)
        let pipeline = Pipeline(layout: configuration.layout, settings: settings, totalTicks: 0, ticksPerSecond: 0,
                                logger: logger, makeLiveParse: makeStage)
        let clock = LiveClock()
        try pipeline.start()
        let started = clock.nowNs()
        var ts = timespec(tv_sec: seconds, tv_nsec: 0)
        nanosleep(&ts, nil)
        let elapsed = clock.nowNs() - started
        pipeline.stop()
        let live = pipeline.liveParse!
        var out = pipeline.report(elapsedNs: elapsed).table
        out += "market data from \(authority) (\(backend)): \(live.events) events, \(live.candlesClosed) candles closed, "
            + "\(live.candleCorrections) corrected by the exchange, \(live.reconnects) reconnects, "
            + "\(live.parseErrors) parse errors, \(live.droppedOnFullRing) dropped on a full ring\n"
        for (i, line) in live.connectionSummary.enumerated() { out += "  stream \(i) \(line)\n" }
        return out
    }
}
