import Foundation
import Logging
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Collects rendered log lines in memory.
final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var storage: [String] = []
    func append(_ s: String) { lock.withLock { storage.append(s) } }
    var lines: [String] { lock.withLock { storage } }
}

func testLogger(_ collector: LineCollector) -> Logger {
    Logger(label: "test") { JSONLinesLogHandler(label: $0, write: { collector.append($0) }) }
}

/// The paper risk configuration loosened for the wiring tests: the fast analysis' synthetic
/// signals stay below the default 0.70 confidence, and their tight ATR stops size 1 % of
/// 10 000 USDT into more notional than 10× leverage covers (`insufficientMargin`). With no
/// minimum confidence, 0.1 % risk per trade and 50× leverage they size into orders; the rest are
/// denied (e.g. `positionAlreadyOpen` while the pass-through order stage's fills keep a position open).
func acceptingRisk(_ symbols: SymbolTable) -> RiskStageConfiguration {
    var c = RiskStageConfiguration.paper(symbols: symbols)
    c.accounts[0].minConfidenceBp = 0
    c.accounts[0].riskPerTradeBp = 10
    c.accounts[0].leverage = 50
    return c
}

/// The five stages plus drains, driven on one thread by an invoker with a manual clock:
/// deterministic, like replay. The synthetic source closes 1m and 5m candles (1 s of synthetic
/// time per tick); short indicator periods with a 5m trend make signals within a few thousand ticks.
final class FusedHarness {
    let clock = ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000)
    /// Rings smaller than the parse stage's 64-tick batch, so back pressure happens.
    let rings = PipelineRings(capacity: 16)
    let parse: ParseStage<ManualClock>
    let indicator: IndicatorStage<ManualClock>
    let signal: SignalStage<ManualClock>
    let risk: RiskStage<ManualClock>
    let order: OrderStage<ManualClock, PaperGateway<ManualClock>>
    let store: CountingDrainAgent
    let publish: EventPublisherAgent
    let invoker: AgentInvoker<CompositeAgent, ManualClock>

    init(ticks: Int) throws {
        let analysis = fastAnalysis()
        let symbols = Pipeline.syntheticSymbols(["BTCUSDT", "ETHUSDT"])
        parse = ParseStage(rings: rings, clock: clock,
                           source: SyntheticTickSource(seed: 7, startPrices: [4_325_000, 230_000]),
                           intervals: analysis.subscribed, totalTicks: ticks, ticksPerSecond: 0)
        parse.maxBatch = 64
        indicator = IndicatorStage(rings: rings, clock: clock, symbols: symbols, configuration: analysis)
        signal = SignalStage(rings: rings, clock: clock, symbols: symbols, configuration: analysis)
        risk = try RiskStage(rings: rings, clock: clock, symbols: symbols, configuration: acceptingRisk(symbols))
        order = OrderStage(rings: rings, clock: clock,
                           gateway: PaperGateway(prices: rings.latestPrices, symbols: symbols, clock: clock))
        store = CountingDrainAgent(roleName: "store", journalRings: rings.journalRings)
        publish = EventPublisherAgent(rings: rings.eventRings, sink: nil)
        invoker = AgentInvoker(agent: CompositeAgent([parse, indicator, signal, risk, order, store, publish]), clock: clock)
        try invoker.start()
    }

    func run(maxCycles: Int = 1_000_000) {
        for _ in 0..<maxCycles {
            clock.advance(byNs: 100)
            if invoker.invoke() == 0 && parse.isFinished { return }
        }
    }

    /// Long and Short signals: what reaches risk.
    var directional: Int { signal.longSignals + signal.shortSignals }
}

@Suite struct PipelineTests {
    /// Every event reaches the indicator stage once, whatever the back pressure (16-slot rings,
    /// 64-tick batches); every closed candle becomes an update, every Long/Short signal an order;
    /// side channels receive what the stages sent.
    @Test func everyEventArrivesOnceWithBackPressure() throws {
        let h = try FusedHarness(ticks: 5_000)
        h.run()
        #expect(h.parse.emitted == 5_000)
        // 5 000 s of synthetic time: each symbol's 1m and 5m candles close on its next trade.
        #expect(h.parse.candlesClosed == 2 * (83 + 16))
        #expect(h.indicator.handled == 5_000 + h.parse.candlesClosed + h.parse.klineUpdates)
        #expect(h.indicator.candlesCommitted == h.parse.candlesClosed && h.indicator.rejectedCandles == 0)
        #expect(h.signal.handled == h.indicator.candlesCommitted + h.indicator.provisionalPublished)
        #expect(h.signal.signals > 0 && h.directional > 0, "short periods: signals within 5 000 ticks")
        #expect(h.signal.signals + h.signal.warmingUp == 2 * 83, "every 1m close evaluated")
        // Real risk: every directional signal is handled, each either sized into an entry or
        // denied; the order stage receives the entries plus risk's own SL/TP closes, and fills each.
        #expect(h.risk.signalsHandled == h.directional)
        #expect(h.risk.engine.counters.entriesSubmitted + h.risk.denied == h.directional)
        #expect(h.risk.engine.counters.entriesSubmitted > 0)
        #expect(h.order.handedOff == h.risk.intentsSent && h.risk.fills == h.order.handedOff && h.risk.intentsNotSent == 0)
        // Paper fills at the parse stage's latest prices: every order priced, so no entry is booked
        // at zero and no spurious margin call follows (1 % risk per trade on a 10 000 USDT wallet).
        #expect(h.order.gateway.unpriced == 0 && h.risk.marginCallClosures == 0)
        #expect(h.risk.engine.positions.allSatisfy { $0.averageEntryPrice.raw > 0 })
        // Parse journals closed candles and sends trades to risk.
        #expect(h.store.received[0] == h.parse.candlesClosed)
        #expect(h.risk.pricesSeen == 5_000)
        // Signal journals every signal; risk one record per order, denial, trade opened or closed
        // and snapshot row; order one per fill.
        #expect(Array(h.store.received[1...]) == [h.signal.signals, h.risk.intentsSent + h.risk.denied + h.risk.tradeRecords,
                                                  h.order.handedOff])
        #expect(h.risk.tradesOpened > 0 && h.risk.tradesOpened == h.risk.engine.counters.tradesOpened)
        // Risk's events: denials, position updates, margin-call closures, trades opened and closed,
        // and the portfolios of the accounts they touched.
        #expect(h.publish.received == [h.signal.signals, h.risk.eventsPublished, h.order.handedOff])
        #expect(h.risk.eventsPublished == h.risk.denied + h.risk.positionUpdates + h.risk.marginCallClosures
            + h.risk.tradesOpened + h.risk.tradesClosed + h.risk.accountUpdates)
        #expect(h.risk.accountUpdates >= 1 + h.risk.tradesOpened, "the start, then at least one per trade opened")
        #expect(h.risk.sideChannelOverflows == 0)
        #expect(h.parse.journalOverflows == 0 && h.signal.sideChannelOverflows == 0)
        #expect(h.rings.marketToIndicator.fullEventCount > 0, "the test should have exercised back pressure")
    }

    /// The same seed gives the same signals.
    @Test func syntheticRunsAreDeterministic() throws {
        let a = try FusedHarness(ticks: 3_000), b = try FusedHarness(ticks: 3_000)
        a.run()
        b.run()
        #expect(a.signal.signals > 0)
        #expect((a.signal.longSignals, a.signal.shortSignals, a.signal.neutralSignals)
                == (b.signal.longSignals, b.signal.shortSignals, b.signal.neutralSignals))
    }

    /// With the manual clock advancing 100 ns per duty cycle, latencies are whole multiples of it;
    /// each hop records what reaches it.
    @Test func latencyIsMeasuredAgainstTheInjectedClock() throws {
        let h = try FusedHarness(ticks: 3_000)
        h.run()
        var s = LatencySnapshot()
        h.order.endToEnd.collect(into: &s, includeActive: true)
        #expect(s.totalCount == UInt64(h.order.handedOff) && s.totalCount > 0)
        s.forEachBucket { range, _ in
            #expect(range.lowerBound % 100 == 0 || range.lowerBound != range.upperBound)
        }
        var i = LatencySnapshot()
        h.indicator.latency.collect(into: &i, includeActive: true)
        #expect(i.totalCount == UInt64(h.indicator.handled))
    }

    @Test func commandsSwitchTradingOffAndSignalsAreDenied() throws {
        let h = try FusedHarness(ticks: 3_000)
        #expect(h.rings.commandsToRisk.tryPush(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 1, enabled: false)))
        h.run()
        #expect(h.risk.tradingEnabled == false)
        #expect(h.risk.denied == h.directional && h.directional > 0)
        #expect(h.order.handedOff == 0)
        // One tradingSwitched, an orderDenied per signal, and the account's portfolio at start and
        // after the switch.
        #expect(h.publish.received[1] == 1 + h.directional + h.risk.accountUpdates && h.risk.accountUpdates == 2)
    }

    @Test func degradedStoreStopsNewOrders() throws {
        let h = try FusedHarness(ticks: 3_000)
        #expect(h.rings.storeStatusToRisk.tryPush(StoreStatus(state: .degraded, timeNs: 0, errorCode: 28)))
        h.run()
        #expect(h.risk.storeDegraded && h.risk.denied == h.directional && h.order.handedOff == 0)
        // Recovery lifts the stop; the episode is logged once each way (critical, then notice).
        #expect(h.rings.storeStatusToRisk.tryPush(StoreStatus(state: .recovered, timeNs: 0)))
        _ = try h.risk.doWork(nowNs: 1)
        #expect(!h.risk.storeDegraded)
        var codes: [(LogCode, LogLevel)] = []
        _ = h.rings.logRings[Int(StageID.risk.rawValue)].handle.drain(limit: 4096) { r in
            if r.pointee.code == .storeDegraded || r.pointee.code == .storeRecovered { codes.append((r.pointee.code, r.pointee.level)) }
            return true
        }
        #expect(codes.map(\.0) == [.storeDegraded, .storeRecovered])
        #expect(codes.map(\.1) == [.critical, .notice])
    }

    /// The real thing: the split-2 preset with real threads (busy-spin replaced by yield, as on a
    /// shared 2-core machine), 20 000 ticks paced at 200 000/s through the real indicator and
    /// signal stages.
    @Test func split2PipelineRunsOnThreads() throws {
        let layout = try LayoutLoader.load("split-2", directories: [repositoryRoot.appendingPathComponent("Tuning/layouts").path])
            .replacingBusySpin(with: .yield)
        try layout.validate(cpuCount: availableCPUCount, isCPUAvailable: isCPUAvailable)
        let lines = LineCollector()
        var settings = TicklineConfiguration.PipelineSettings()
        settings.ringCapacity = 1024
        let p = Pipeline(layout: layout, settings: settings, totalTicks: 20_000, ticksPerSecond: 200_000,
                         logger: testLogger(lines), analysis: fastAnalysis(),
                         risk: acceptingRisk(Pipeline.syntheticSymbols(settings.symbols)))
        try p.start()
        let done = p.waitUntilDone(timeoutNs: 25_000_000_000)
        p.stop()
        #expect(done)
        let report = p.report(elapsedNs: 100_000_000)
        let events = 20_000 + p.parse.candlesClosed + p.parse.klineUpdates
        // Hops, then ingress → fill: one per entry (paper fills each in full at once).
        #expect(report.hops.map { Int($0.summary.count) }
                == [events, p.signal.handled, p.risk.signalsHandled, p.order.handedOff, p.risk.engine.counters.entriesSubmitted])
        #expect(p.indicator.handled == events && p.risk.signalsHandled == p.signal.longSignals + p.signal.shortSignals)
        #expect(p.order.handedOff == p.risk.intentsSent)
        #expect(Int(report.endToEnd.count) == p.order.handedOff && p.order.handedOff > 0)
        #expect(report.endToEnd.p50Ns <= report.endToEnd.p99Ns && report.endToEnd.p99Ns <= report.endToEnd.maxNs)
        #expect(report.hops[0].summary.p50Ns <= report.endToEnd.p50Ns)
        #expect((p.store as? CountingDrainAgent)?.totalReceived
                == p.parse.candlesClosed + p.signal.signals + p.risk.intentsSent + p.risk.denied + p.risk.tradeRecords
                    + p.order.handedOff)
        #expect(report.errors == 0)
        #expect(report.json.contains("\"end_to_end\":{\"count\":\(p.order.handedOff),\"p50_ns\":"))
        // The log thread rendered the parse stage's records as JSON lines.
        #expect(lines.lines.contains { $0.contains("\"message\":\"synthetic tick source finished: 20000 ticks\"") })
    }
}

@Suite struct LogRenderingTests {
    @Test func templatesAndFixedPointArguments() {
        var r = LogRecord(code: .positionClosed, level: .info, stage: .risk, timeNs: 0)
        r.append(17)
        r.append(4_325_010, places: 2)
        #expect(LogDrainAgent.render(r) == "Position 17 closed at 43250.10")
        #expect(LogDrainAgent.format((-5, 3)) == "-0.005")
        #expect(LogDrainAgent.format((120, 0)) == "120")
    }

    /// Two hex arguments print a 128-bit trade id as the store names it (32 hex digits, high half
    /// first: `TradeID.description`).
    @Test func tradeIDsInHex() {
        var r = LogRecord(code: .tradePersisted, level: .debug, stage: .store, timeNs: 0)
        r.append(Int64(bitPattern: 0x0000_018B_CFE5_6800), places: LogRecord.hexPlaces)
        r.append(Int64(bitPattern: 0xFFFF_ABCD_0000_0007), places: LogRecord.hexPlaces)
        #expect(LogDrainAgent.render(r) == "Trade 0000018bcfe56800ffffabcd00000007 persisted to database")
    }

    @Test func jsonLinesAreEscaped() throws {
        let lines = LineCollector()
        let logger = testLogger(lines)
        logger.info("a \"quoted\"\nline", metadata: ["k": "v\t1"])
        let line = try #require(lines.lines.first)
        #expect(line.hasSuffix(#","level":"info","label":"test","component":"test","message":"a \"quoted\"\nline","k":"v\t1"}"# + "\n"))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: String])
        #expect(parsed["message"] == "a \"quoted\"\nline" && parsed["k"] == "v\t1")
        // UTC to the millisecond, e.g. 2026-11-25T12:00:00.123Z.
        let stamp = try #require(parsed["timestamp"])
        #expect(stamp.count == 24 && stamp.hasSuffix("Z") && stamp.dropFirst(19).first == ".", "\(stamp)")
        logger.warning("from a stage", metadata: ["stage": "risk"])
        #expect(lines.lines.last?.contains(#""component":"risk""#) == true)
    }
}

extension RiskStage {
    /// Risk's journal records other than orders and denials: trades opened and closed, snapshot rows.
    var tradeRecords: Int { tradesOpened + tradesClosed + accountSnapshots + snapshotPositions }
}
