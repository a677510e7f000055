import Logging
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// `tickline run` on a live venue (the bundled simulator or Binance, same code): names
/// resolved once, exchange info over REST (the symbols' scales), then the pipeline with the
/// live parse stage on `/market` (trades, mark price, klines) and `/public` (book ticker) under
/// the stream URL, candle history over REST on the same loop; runs for `seconds` and returns
/// the report.
public enum LiveRun {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// What start-up resolved: endpoints and the symbol table.
    public struct Venue: Sendable {
        public var rest: RESTEndpoint
        public var streams: [MarketDataEndpoint]
        public var symbols: SymbolTable
    }

    /// DNS (start-up only) and exchange info; fails with a message naming what went wrong.
    public static func resolve(_ venue: VenueSettings) throws -> Venue {
        func security(_ url: VenueURL) -> StreamChannel.Security {
            url.secure ? .tls(hostname: url.host, caFile: venue.caFile) : .plain
        }
        func address(_ url: VenueURL) throws -> SocketAddress {
            guard let a = (try? SocketAddress.resolve(host: url.host, port: url.port))?.first else {
                throw Failure(description: "cannot resolve \(url.host)")
            }
            return a
        }
        let rest = RESTEndpoint(address: try address(venue.restURL), host: venue.restURL.authority,
                                security: security(venue.restURL))
        let info = try StartupREST.get(rest, path: "/fapi/v1/exchangeInfo")
        guard info.status == 200 else {
            let apiError = info.body.withUnsafeBytes { BinanceREST.apiError($0) }
            throw Failure(description: "exchangeInfo: HTTP \(info.status)" + (apiError.map { " (\($0.code): \($0.message))" } ?? ""))
        }
        let listed = try info.body.withUnsafeBytes { try BinanceREST.exchangeInfo($0) }
        var table = SymbolTable()
        for name in venue.symbols {
            guard let s = listed.first(where: { $0.symbol == name }) else {
                throw Failure(description: "symbol \(name) is not listed by the venue")
            }
            try table.intern(.init(name: name, priceScale: s.priceScale, quantityScale: s.quantityScale))
        }
        let streamAddress = try address(venue.streamURL)
        var streams: [MarketDataEndpoint] = []
        for (tier, names) in [("market", venue.marketStreams), ("public", venue.publicStreams)] where !names.isEmpty {
            streams.append(MarketDataEndpoint(address: streamAddress, host: venue.streamURL.authority,
                                              path: "\(venue.streamURL.path)/\(tier)/stream?streams=" + names.joined(separator: "/"),
                                              security: security(venue.streamURL)))
        }
        return Venue(rest: rest, streams: streams, symbols: table)
    }

    public static func run(_ configuration: TicklineConfiguration, seconds: Int, logger: Logger) throws -> String {
        let settings = configuration.venue
        let venue = try resolve(settings)
        let parser = BinanceStreamParser(symbols: BinanceSymbols(venue.symbols))
        let makeStage: (PipelineRings) -> any LiveParseStats
        switch settings.backend {
        case .uring:
            let loop = try URingLoop()
            makeStage = { rings in
                LiveParseStage(rings: rings, symbols: venue.symbols, intervals: settings.intervals, endpoints: venue.streams,
                               rest: venue.rest, warmupCandles: settings.warmupCandles, parser: parser, loop: loop)
            }
        case .poll:
            let loop = PollingSocketLoop()
            makeStage = { rings in
                LiveParseStage(rings: rings, symbols: venue.symbols, intervals: settings.intervals, endpoints: venue.streams,
                               rest: venue.rest, warmupCandles: settings.warmupCandles, parser: parser, loop: loop)
            }
        }
        var pipelineSettings = configuration.pipeline
        pipelineSettings.symbols = venue.symbols.entries.map(\.name)
        let pipeline = Pipeline(layout: configuration.layout, settings: pipelineSettings, totalTicks: 0, ticksPerSecond: 0,
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
        out += "market data from \(settings.streamURL) (\(settings.backend.rawValue)): \(live.events) events, "
            + "\(live.candlesClosed) candles closed (\(live.historyCandles) from REST history), "
            + "\(live.candleCorrections) corrected by the exchange, \(live.reconnects) reconnects, "
            + "\(live.parseErrors) parse errors, \(live.historyFailures) failed history requests, "
            + "\(live.droppedOnFullRing) dropped on a full ring\n"
        for (i, line) in live.connectionSummary.enumerated() { out += "  stream \(i) \(line)\n" }
        return out
    }
}
