import Logging
import TicklineConfig
import TicklineCore
import TicklineRing
import TicklineRisk
import TicklineStore

#if canImport(Glibc)
import Glibc
#endif

/// The data plane assembled from a layout: rings, the five stage agents, the side-channel
/// drains, one runner per layout thread, and the log thread.
///
/// Stage code does not know the layout: this is the one place that decides which agents share a
/// thread (a `CompositeAgent`), which CPU it gets and how it idles.
public final class Pipeline {
    public let layout: Layout
    public let rings: PipelineRings
    public let parse: ParseStage<LiveClock>
    /// The live parse stage (market data from a venue) when the pipeline runs on one; it then
    /// takes the place of the synthetic `parse` stage.
    public let liveParse: (any LiveParseStats)?
    public let indicator: IndicatorStage<LiveClock>
    public let signal: SignalStage<LiveClock>
    public let risk: RiskStage<LiveClock>
    /// The order stage over its gateway: paper fills, or the venue (`orderGateway`).
    public let order: any OrderStageStats
    /// Drains the journal rings: the LMDB writer when the pipeline has a store, else a counter.
    public let store: any Agent
    /// The LMDB journal writer, when the pipeline has a store.
    public let journalWriter: JournalWriterAgent?
    public let publish: EventPublisherAgent
    public let logDrain: LogDrainAgent
    /// The stages' latency totals (hops, tick-to-order): read while running (metrics) and at the end.
    public let latency: LatencyTotals
    public private(set) var runners: [any Runner] = []
    private var logRunner: (any Runner)?
    public private(set) var startNs: UInt64 = 0

    /// The symbols (ids and scales) the stages were built for.
    public let symbols: SymbolTable
    /// What the indicator and signal stages were built from.
    public let analysis: AnalysisConfiguration

    /// - Parameters:
    ///   - totalTicks: ticks the synthetic source emits before it stops.
    ///   - ticksPerSecond: pacing (0 = unpaced).
    ///   - symbols: the symbol table (ids and scales; the live venue's exchange info). Nil: the
    ///     synthetic source's, `settings.symbols` at 2 price and 3 quantity decimals.
    ///   - analysis: the indicator and signal stages' configuration (`AnalysisConfiguration(_:
    ///     subscribed:)` from `[strategy]` and `[venue] intervals`); its subscribed intervals are
    ///     the ones the synthetic parse stage closes. Without a live parse stage the signal age
    ///     check is off: the synthetic clock is not the wall clock.
    ///   - makeLiveParse: the live parse stage, which then takes the synthetic one's place.
    ///   - risk: the risk engine's accounts and symbol rules. Nil: `RiskStageConfiguration.synthetic`
    ///     for the synthetic source, `.paper` on a venue (one account, 10 000 USDT, rules derived
    ///     from the symbol table).
    ///   - orderGateway: the order stage on a venue (`BinanceGateway`). Nil: paper fills at the
    ///     latest prices (`PaperGateway`).
    ///   - journal: the LMDB store the journal rings are written to (group commit per duty
    ///     cycle, status to risk); nil counts and drops them (benchmarks).
    ///   - eventSink: where the publish agent hands the events (the control plane); nil counts
    ///     and drops them.
    ///   - logObserver: sees each stage log record once logged (the control plane's alerts).
    public init(layout: Layout, settings: TicklineConfiguration.PipelineSettings, totalTicks: Int,
                ticksPerSecond: Int, logger: Logger, symbols: SymbolTable? = nil, journal: TicklineStore? = nil,
                journalOptions: JournalWriterOptions = JournalWriterOptions(),
                analysis: AnalysisConfiguration = AnalysisConfiguration(subscribed: VenueSettings().intervals),
                makeLiveParse: ((PipelineRings) -> any LiveParseStats)? = nil,
                risk riskConfiguration: RiskStageConfiguration? = nil,
                orderGateway: ((PipelineRings) -> any OrderStageStats)? = nil,
                eventSink: (any EngineEventSink)? = nil, logObserver: (@Sendable (LogRecord, String) -> Void)? = nil) {
        self.layout = layout
        let clock = LiveClock()
        let table = symbols ?? Self.syntheticSymbols(settings.symbols)
        rings = PipelineRings(capacity: settings.ringCapacity, symbolCount: max(1, table.count))
        self.symbols = table
        var analysis = analysis
        if makeLiveParse == nil { analysis.maxSignalAgeMs = 0 }
        self.analysis = analysis
        // Start prices around 43 250.00 and 2 300.00 (2 decimal places), then 100.00 apart.
        let startPrices = table.entries.indices.map { i -> Int64 in
            i == 0 ? 4_325_000 : i == 1 ? 230_000 : 10_000 * Int64(i)
        }
        parse = ParseStage(rings: rings, clock: clock,
                           source: SyntheticTickSource(seed: settings.seed, startPrices: startPrices),
                           intervals: analysis.subscribed, totalTicks: totalTicks, ticksPerSecond: ticksPerSecond)
        parse.maxBatch = settings.parseBatch
        liveParse = makeLiveParse?(rings)
        indicator = IndicatorStage(rings: rings, clock: clock, symbols: table, configuration: analysis)
        signal = SignalStage(rings: rings, clock: clock, symbols: table, configuration: analysis)
        do {
            risk = try RiskStage(rings: rings, clock: clock, symbols: table,
                                 configuration: riskConfiguration ?? (makeLiveParse == nil ? .synthetic(symbols: table) : nil))
        } catch {
            preconditionFailure("risk configuration: \(error)")
        }
        if let makeGateway = orderGateway {
            order = makeGateway(rings)
        } else {
            order = OrderStage(rings: rings, clock: clock,
                               gateway: PaperGateway(prices: rings.latestPrices, symbols: table, clock: clock))
        }
        if let journal {
            let writer = JournalWriterAgent(store: journal, rings: rings.journalRings.map(\.handle),
                                            statusRing: rings.storeStatusToRisk.handle, logRing: rings.log(.store).ring,
                                            options: journalOptions)
            journalWriter = writer
            store = writer
        } else {
            journalWriter = nil
            store = CountingDrainAgent(roleName: "store", journalRings: rings.journalRings)
        }
        publish = EventPublisherAgent(rings: rings.eventRings, sink: eventSink)
        logDrain = LogDrainAgent(rings: rings.logRings, logger: logger, observer: logObserver)
        latency = LatencyTotals([indicator.latency, signal.latency, risk.latency, order.latency, order.ingressToFill,
                                 order.endToEnd] + (journalWriter.map { [$0.commitLatency] } ?? []))
    }

    /// The synthetic source's symbols: the names of `[pipeline] symbols`, prices with 2 decimals
    /// and quantities with 3 (as its start prices and trade sizes are written).
    public static func syntheticSymbols(_ names: [String]) -> SymbolTable {
        var table = SymbolTable()
        for name in names {
            _ = try? table.intern(.init(name: name, priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        }
        return table
    }

    public func agent(for stage: StageID) -> any Agent {
        switch stage {
        case .parse: return liveParse ?? parse
        case .indicator: return indicator
        case .signal: return signal
        case .risk: return risk
        case .order: return order
        case .store: return store
        case .publish: return publish
        }
    }

    /// Starts the log thread and one runner per layout thread. The layout must have been
    /// validated; on a start failure the threads already started are stopped again.
    public func start() throws {
        let log = IdleStrategyConfig.park(timeoutNs: 5_000_000).makeRunner(agent: logDrain, name: "log", cpu: nil)
        try log.start()
        logRunner = log
        startNs = LiveClock().nowNs()
        do {
            for thread in layout.threads {
                let agents = thread.stages.map(agent(for:))
                let runner: any Runner
                if agents.count == 1 {
                    runner = thread.idle.makeRunner(agent: agents[0], name: thread.name, cpu: thread.cpu)
                } else {
                    runner = thread.idle.makeRunner(agent: CompositeAgent(agents, roleName: thread.name),
                                                    name: thread.name, cpu: thread.cpu)
                }
                try runner.start()
                runners.append(runner)
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Waits until the synthetic source has emitted every tick and every trading ring is empty
    /// (each stage publishes downstream before it releases its input, so empty rings in pipeline
    /// order mean nothing is in flight), or `timeoutNs` passed. Sleeps in 1 ms steps: the caller
    /// is not a data-plane thread.
    public func waitUntilDone(timeoutNs: UInt64) -> Bool {
        let clock = LiveClock()
        let deadline = clock.nowNs() + timeoutNs
        while !isDrained {
            if clock.nowNs() > deadline { return false }
            var ts = timespec(tv_sec: 0, tv_nsec: 1_000_000)
            nanosleep(&ts, nil)
        }
        return true
    }

    /// Whether the synthetic run is over: all ticks out and the trading rings empty.
    public var isDrained: Bool {
        parse.finished.load(ordering: .acquiring) && rings.marketToIndicator.isEmpty && rings.indicatorToSignal.isEmpty
            && rings.signalToRisk.isEmpty && rings.riskToOrder.isEmpty && rings.executionsToRisk.isEmpty
    }

    /// Stops the trading threads, drains what the side-channel and log agents have not yet taken
    /// (on this thread: their runners are stopped by then), and stops the log thread.
    public func stop() {
        for r in runners.reversed() { r.stop() }
        runners.removeAll()
        for agent in [store, publish] as [any Agent] {
            while ((try? agent.doWork(nowNs: 0)) ?? 0) > 0 {}
        }
        logRunner?.stop()
        logRunner = nil
        while ((try? logDrain.doWork(nowNs: 0)) ?? 0) > 0 {}
    }

    /// Latency percentiles per hop and end to end. Call after `stop()` (takes both buffers).
    public func report(elapsedNs: UInt64) -> PipelineReport {
        latency.finish()
        func summary(_ r: LatencyRecorder) -> LatencySummary {
            LatencySummary(latency.totals(r.name) ?? LatencySnapshot(), elapsedNs: elapsedNs)
        }
        return PipelineReport(
            layout: layout.name, ticks: liveParse?.events ?? parse.emitted, elapsedNs: elapsedNs,
            hops: [
                (indicator.latency.name, summary(indicator.latency)),
                (signal.latency.name, summary(signal.latency)),
                (risk.latency.name, summary(risk.latency)),
                (order.latency.name, summary(order.latency)),
                (order.ingressToFill.name, summary(order.ingressToFill)),
            ],
            endToEnd: summary(order.endToEnd),
            rings: rings.allRingStats,
            errors: runners.reduce(0) { $0 + $1.errorCount })
    }
}

extension Pipeline {
    /// One line of the indicator and signal stages' counters, for the end-of-run report (read
    /// after `stop()`).
    public var analysisSummary: String {
        let c = indicator.totalCounters
        return "indicators: \(indicator.candlesCommitted) candles committed, \(indicator.rejectedCandles) refused, "
            + "\(c.gaps) gaps, \(indicator.provisionalPublished) provisional updates; signals: \(signal.longSignals) long, "
            + "\(signal.shortSignals) short, \(signal.neutralSignals) neutral (\(signal.warmingUp) closes warming up, "
            + "\(signal.staleCandles) stale); \(order.handedOff) orders\n"
    }

    /// Risk's and the order stage's counters and each account's state (read after `stop()`).
    public var tradingSummary: String {
        let c = risk.engine.counters
        var out = "trading: \(risk.signalsHandled) signals to risk, \(c.entriesSubmitted) entries, \(c.totalDenials) denied, "
            + "\(c.fills) fills booked, \(c.stopLossCloses) stop-loss / \(c.takeProfitCloses) take-profit / "
            + "\(c.marginCallCloses) margin-call closes, \(c.venueCloseFills) closed by exchange-side orders; "
            + "order stage: \(order.handedOff) orders sent, \(order.fillsForwarded) fills and "
            + "\(order.reportsForwarded - order.fillsForwarded) other reports back\n"
        let denials = DenialReason.allCases.filter { c.denials($0) > 0 }.map { "\($0) \(c.denials($0))" }
        if !denials.isEmpty { out += "  denied: " + denials.joined(separator: ", ") + "\n" }
        let money = RiskEngine.moneyScale
        for a in 0..<risk.engine.accountCount {
            let s = risk.engine.snapshot(AccountID(UInt16(a)))
            out += "  account \(a): equity \(s.equity.description(scale: money)) USDT (wallet "
                + "\(s.walletBalance.description(scale: money)), unrealized \(s.unrealizedPnL.description(scale: money))), "
                + "\(s.openPositions) open positions\n"
        }
        for p in risk.engine.positions {
            let e = symbols[p.symbol]
            out += "    \(e.name) \(p.side == .buy ? "LONG" : "SHORT") \(p.quantity.description(scale: e.quantityScale)) @ "
                + "\(p.averageEntryPrice.description(scale: e.priceScale)), SL \(p.stopLoss.description(scale: e.priceScale)), "
                + "TP \(p.takeProfit.description(scale: e.priceScale)), unrealized "
                + "\(p.unrealizedPnL.description(scale: money))\n"
        }
        return out
    }
}
