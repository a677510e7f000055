import Logging
import Synchronization
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineExecution
import TicklineIO
import TicklineRisk
import TicklineStore

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
        /// The symbols' exchange filters (tick, step, minimum notional), for risk.
        public var rules: [SymbolRules]
        /// The user-data stream's origin (the stream URL's host).
        public var userStream: UserStreamEndpoint
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
        var rules: [SymbolRules] = []
        for name in venue.symbols {
            guard let s = listed.first(where: { $0.symbol == name }) else {
                throw Failure(description: "symbol \(name) is not listed by the venue")
            }
            let id = try table.intern(.init(name: name, priceScale: s.priceScale, quantityScale: s.quantityScale))
            guard let r = SymbolRules(symbol: id, tickSize: s.tickSize, stepSize: s.stepSize, minNotional: s.minNotional)
            else {
                throw Failure(description: "symbol \(name): unusable filters (tick \(s.tickSize), step \(s.stepSize), "
                              + "min notional \(s.minNotional))")
            }
            rules.append(r)
        }
        let streamAddress = try address(venue.streamURL)
        var streams: [MarketDataEndpoint] = []
        for (tier, names) in [("market", venue.marketStreams), ("public", venue.publicStreams)] where !names.isEmpty {
            streams.append(MarketDataEndpoint(address: streamAddress, host: venue.streamURL.authority,
                                              path: "\(venue.streamURL.path)/\(tier)/stream?streams=" + names.joined(separator: "/"),
                                              security: security(venue.streamURL)))
        }
        let user = UserStreamEndpoint(address: streamAddress, host: venue.streamURL.authority,
                                      basePath: venue.streamURL.path, security: security(venue.streamURL))
        return Venue(rest: rest, streams: streams, symbols: table, rules: rules, userStream: user)
    }

    /// The pipeline with the live parse stage on the configured backend.
    /// The data plane on `venue`: the live parse stage, and with `trading` the start-up sync,
    /// reconciliation and the venue gateway; events go to `eventSink` (the control plane).
    public static func makePipeline(_ configuration: TicklineConfiguration, _ venue: Venue, logger: Logger,
                                    trading: Bool = false, eventSink: (any EngineEventSink)? = nil,
                                    logObserver: (@Sendable (LogRecord, String) -> Void)? = nil) throws -> Pipeline {
        let settings = configuration.venue
        let parser = BinanceStreamParser(symbols: BinanceSymbols(venue.symbols))
        /// The stage over `loop`: one body for both backends (the stage is generic over it).
        func stage<Loop: SocketEventLoop>(_ loop: Loop) -> (PipelineRings) -> any LiveParseStats {
            { rings in
                LiveParseStage(rings: rings, symbols: venue.symbols, intervals: settings.intervals, endpoints: venue.streams,
                               rest: venue.rest, warmupCandles: settings.warmupCandles, parser: parser, loop: loop)
            }
        }
        let makeStage = switch settings.backend {
        case .uring: stage(try URingLoop())
        case .poll: stage(PollingSocketLoop())
        }
        var pipelineSettings = configuration.pipeline
        pipelineSettings.symbols = venue.symbols.entries.map(\.name)
        var risk: RiskStageConfiguration?
        var makeOrder: ((PipelineRings) -> any OrderStageStats)?
        // Opened once: LMDB forbids opening an environment twice in one process. Start-up
        // reconciliation writes to it before the pipeline's journal writer takes it over.
        let store = try openStore(configuration.store)
        if trading {
            let plan = try prepareTrading(configuration, venue, store: store, logger: logger)
            risk = plan.risk
            makeOrder = try plan.orderStage(backend: settings.backend)
        }
        return Pipeline(layout: configuration.layout, settings: pipelineSettings, totalTicks: 0, ticksPerSecond: 0,
                        logger: logger, symbols: venue.symbols, journal: store,
                        journalOptions: journalOptions(configuration.store),
                        analysis: try AnalysisConfiguration(configuration.strategy, subscribed: settings.intervals),
                        makeLiveParse: makeStage, risk: risk, orderGateway: makeOrder, eventSink: eventSink,
                        logObserver: logObserver)
    }

    /// The trading half of start-up: accounts and credentials from the configuration, the start-up
    /// sequence against the venue (`TradingStartup`), the journal's reconciliation with it when a
    /// store is given (`StartupReconciliation`: before anything trades, while no journal writer
    /// runs), and from them risk's configuration and the order stage's venue gateway (built over
    /// whichever loop the caller picks).
    public static func prepareTrading(_ configuration: TicklineConfiguration, _ venue: Venue,
                                      store: TicklineStore? = nil, logger: Logger) throws -> TradingPlan
    {
        let marking: MarkingSource = configuration.trading.marking == .markPrice ? .markPrice : .lastTrade
        var accounts: [TradingStartup.Account] = []
        for (i, a) in configuration.accounts.enumerated() {
            let credentials: APICredentials
            do {
                credentials = try a.loadCredentials()
            } catch {
                throw Failure(description: "\(error)")
            }
            let settings = AccountSettings(
                id: AccountID(UInt16(i)), tradingEnabled: a.tradingEnabled, leverage: a.leverage,
                marginType: a.marginType == .isolated ? .isolated : .crossed, maxOpenPositions: a.maxOpenPositions,
                riskPerTradeBp: a.riskPerTradeBp, minConfidenceBp: a.minConfidenceBp, minRiskRewardBp: a.minRiskRewardBp,
                stopLossFallbackBp: a.stopLossFallbackBp, takeProfitFallbackBp: a.takeProfitFallbackBp,
                markingSource: marking, takerFeePpm: a.takerFeePpm)
            let setup = VenueAccountSetup(account: settings.id, apiKey: credentials.apiKey,
                                          secret: Array(credentials.secret.utf8),
                                          workingType: marking == .markPrice ? .markPrice : .contractPrice)
            accounts.append(TradingStartup.Account(setup: setup, settings: settings, name: a.name))
        }
        let startup = try TradingStartup.run(rest: venue.rest, symbols: venue.symbols, accounts: accounts, logger: logger)
        var reconciliation: StartupReconciliation.Report?
        if let store {
            reconciliation = try StartupReconciliation.run(store: store, rest: venue.rest, symbols: venue.symbols,
                                                           accounts: accounts, positions: startup.positions,
                                                           logger: logger)
        }
        var risk = RiskStageConfiguration(
            accounts: accounts.map(\.settings), symbols: venue.rules, walletBalances: startup.walletBalances,
            globalTradingEnabled: configuration.trading.enabled,
            positionUpdateIntervalNs: UInt64(configuration.trading.positionUpdateMs) * 1_000_000,
            snapshotIntervalNs: UInt64(configuration.trading.snapshotIntervalMs) * 1_000_000,
            exchangeProtectiveOrders: configuration.trading.protectiveOrders)
        risk.adoptedPositions = startup.positions.compactMap { row in
            guard let side = row.position.side else { return nil }
            let q = row.position.amount.raw
            return AdoptedPosition(account: row.account, symbol: row.position.symbol, side: side,
                                   quantity: Quantity(raw: q < 0 ? -q : q), entryPrice: row.position.entryPrice)
        }
        // Order ids past anything an earlier run sent: its start time in ms, which a restart exceeds.
        let firstID = UInt64(LiveClock().wallTimeMs())
        risk.firstClientOrderID = firstID
        risk.firstPositionID = firstID
        return TradingPlan(risk: risk, venue: venue, accounts: accounts.map(\.setup), firstOrderSequence: firstID,
                           reconciliation: reconciliation)
    }

    /// The LMDB store of `[store]`, or nil when it is disabled.
    public static func openStore(_ settings: StoreSettings) throws -> TicklineStore? {
        guard settings.enabled else { return nil }
        var options = StoreOptions()
        options.journal.mapSizeBytes = settings.journalMapMiB << 20
        options.market.mapSizeBytes = settings.marketMapMiB << 20
        do {
            return try TicklineStore(directory: settings.directory, options: options)
        } catch {
            throw Failure(description: "store \(settings.directory): \(error)")
        }
    }

    static func journalOptions(_ settings: StoreSettings) -> JournalWriterOptions {
        var o = JournalWriterOptions()
        o.marketSyncIntervalNs = UInt64(settings.marketSyncMs) * 1_000_000
        return o
    }

    static func sleep(ns: UInt64) {
        var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
        nanosleep(&ts, nil)
    }

    /// - Parameter trading: run the trading start-up and trade on the venue; false: market data,
    ///   indicators and signals only (paper fills in process).
    public static func run(_ configuration: TicklineConfiguration, seconds: Int, logger: Logger, trading: Bool = true) throws
        -> String
    {
        let venue = try resolve(configuration.venue)
        let pipeline = try makePipeline(configuration, venue, logger: logger, trading: trading)
        let clock = LiveClock()
        try pipeline.start()
        let started = clock.nowNs()
        let retention = pipeline.journalWriter.map { writer in
            RetentionJob(configuration.store, store: writer.store, symbols: venue.symbols, logger: logger,
                         nowMs: clock.wallTimeMs())
        }
        // This thread is free while the stages run: it keeps the daily jobs' clock.
        let runNs = UInt64(seconds) * 1_000_000_000
        while true {
            retention?.runIfDue(nowMs: clock.wallTimeMs())
            let ran = clock.nowNs() - started
            if ran >= runNs { break }
            sleep(ns: min(1_000_000_000, runNs - ran))
        }
        let elapsed = clock.nowNs() - started
        pipeline.stop()
        return summary(pipeline, elapsedNs: elapsed, configuration.venue)
    }

    /// `tickline bench pipeline --source sim`: the real parse stage on the simulator's stream,
    /// with `messages` aggTrade messages paced at `rate` per second (`POST /sim/pace`) on top of
    /// the subscribed streams, so latency is measured without queueing. Hops start at ingress
    /// (bytes received from the socket).
    public static func benchPaced(_ configuration: TicklineConfiguration, messages: Int, rate: Int, logger: Logger) throws
        -> (report: PipelineReport, counters: String)
    {
        let venue = try resolve(configuration.venue)
        guard let symbol = venue.symbols.entries.first?.name.lowercased() else { throw Failure(description: "no symbol") }
        let pipeline = try makePipeline(configuration, venue, logger: logger)
        let clock = LiveClock()
        try pipeline.start()
        let started = clock.nowNs()
        // The simulator refuses (409) until the stream has a subscriber: retry for up to 10 s.
        let intervalUs = max(1, 1_000_000 / max(1, rate))
        var paced = false
        var baseline = 0
        for _ in 0..<200 where !paced {
            baseline = pipeline.liveParse!.eventsCounter.load(ordering: .relaxed)
            let answer = try StartupREST.request(venue.rest, method: "POST",
                                                 path: "/sim/pace?stream=\(symbol)@aggTrade&count=\(messages)&interval_us=\(intervalUs)")
            if answer.status == 200 { paced = true } else if answer.status == 409 { sleep(ns: 50_000_000) } else {
                pipeline.stop()
                throw Failure(description: "POST /sim/pace: HTTP \(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
            }
        }
        guard paced else {
            pipeline.stop()
            throw Failure(description: "the market stream did not connect within 10 s")
        }
        // The pacer restarts its grid when it wakes late, so it may take longer than nominal:
        // wait until the stage has seen them all (or twice the nominal time plus 5 s).
        let live = pipeline.liveParse!
        let nominalNs = UInt64(messages) * UInt64(intervalUs) * 1000
        let deadline = clock.nowNs() + 2 * nominalNs + 5_000_000_000
        while live.eventsCounter.load(ordering: .relaxed) < baseline + messages, clock.nowNs() < deadline {
            sleep(ns: 10_000_000)
        }
        sleep(ns: 100_000_000)  // the last events' way through the stages
        let elapsed = clock.nowNs() - started
        pipeline.stop()
        return (pipeline.report(elapsedNs: elapsed), counters(pipeline, configuration.venue))
    }

    /// The end-of-run report: the latency table, then market-data, signal and trading counters.
    public static func summary(_ pipeline: Pipeline, elapsedNs: UInt64, _ settings: VenueSettings) -> String {
        pipeline.report(elapsedNs: elapsedNs).table + counters(pipeline, settings)
    }

    static func counters(_ pipeline: Pipeline, _ settings: VenueSettings) -> String {
        let live = pipeline.liveParse!
        var out = "market data from \(settings.streamURL) (\(settings.backend.rawValue)): \(live.events) events, "
            + "\(live.candlesClosed) candles closed (\(live.historyCandles) from REST history), "
            + "\(live.candleCorrections) corrected by the exchange, \(live.reconnects) reconnects, "
            + "\(live.parseErrors) parse errors, \(live.historyFailures) failed history requests, "
            + "\(live.droppedOnFullRing) dropped on a full ring\n"
        for (i, line) in live.connectionSummary.enumerated() { out += "  stream \(i) \(line)\n" }
        out += pipeline.analysisSummary
        out += pipeline.tradingSummary
        if let writer = pipeline.journalWriter {
            let s = writer.stats
            out += "journal (LMDB): \(s.records) records in \(s.commits) commits, \(s.candleAppends) candles appended, "
                + "\(s.errors) failed commits, \(s.pendingRecords) pending, state \(s.state)\n"
        }
        return out
    }
}

/// What the trading start-up decided: risk's configuration and how to build the order stage.
public struct TradingPlan {
    public var risk: RiskStageConfiguration
    public var venue: LiveRun.Venue
    public var accounts: [VenueAccountSetup]
    public var firstOrderSequence: UInt64
    /// What start-up reconciliation did (nil without a store).
    public var reconciliation: StartupReconciliation.Report? = nil

    /// The order stage on the venue over a new loop of `backend`.
    public func orderStage(backend: VenueSettings.Backend) throws -> (PipelineRings) -> any OrderStageStats {
        switch backend {
        case .uring: orderStage(try URingLoop())
        case .poll: orderStage(PollingSocketLoop())
        }
    }

    /// The order stage on the venue over `loop` (its own loop: the stage's thread owns it).
    public func orderStage<Loop: SocketEventLoop>(_ loop: Loop) -> (PipelineRings) -> any OrderStageStats {
        { rings in
            let clock = LiveClock()
            do {
                let g = try BinanceGateway(loop: loop, clock: clock, symbols: venue.symbols, rest: venue.rest,
                                           stream: venue.userStream, accounts: accounts, log: rings.log(.order),
                                           firstOrderSequence: firstOrderSequence)
                return OrderStage(rings: rings, clock: clock, gateway: g)
            } catch {
                preconditionFailure("order gateway: \(error)")  // credentials were checked at start-up
            }
        }
    }
}
