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

/// The five stages plus drains, driven on one thread by an invoker with a manual clock:
/// deterministic, like replay.
final class FusedHarness {
    let clock = ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000)
    /// Rings smaller than the parse stage's 64-tick batch, so back pressure happens.
    let rings = PipelineRings(capacity: 16)
    let parse: ParseStage<ManualClock>
    let indicator: IndicatorStage<ManualClock>
    let signal: SignalStage<ManualClock>
    let risk: RiskStage<ManualClock>
    let order: OrderStage<ManualClock>
    let store: CountingDrainAgent
    let publish: CountingDrainAgent
    let invoker: AgentInvoker<CompositeAgent, ManualClock>

    init(ticks: Int, klineEvery: Int = 100) throws {
        parse = ParseStage(rings: rings, clock: clock,
                           source: SyntheticTickSource(seed: 7, startPrices: [4_325_000, 230_000], klineEvery: klineEvery),
                           totalTicks: ticks, ticksPerSecond: 0)
        parse.maxBatch = 64
        indicator = IndicatorStage(rings: rings, clock: clock)
        signal = SignalStage(rings: rings, clock: clock)
        risk = RiskStage(rings: rings, clock: clock, symbolCount: 2)
        order = OrderStage(rings: rings, clock: clock)
        store = CountingDrainAgent(roleName: "store", journalRings: rings.journalRings)
        publish = CountingDrainAgent(roleName: "publish", eventRings: rings.eventRings)
        invoker = AgentInvoker(agent: CompositeAgent([parse, indicator, signal, risk, order, store, publish]), clock: clock)
        try invoker.start()
    }

    func run(maxCycles: Int = 100_000) {
        for _ in 0..<maxCycles {
            clock.advance(byNs: 100)
            if invoker.invoke() == 0 && parse.isFinished { return }
        }
    }
}

@Suite struct PipelineTests {
    /// Every tick reaches the order stage once; the ring back-pressure (64-slot rings, 5 000
    /// ticks) loses nothing; side channels receive what the stages sent.
    @Test func everyTickBecomesOneOrderWithBackPressure() throws {
        let h = try FusedHarness(ticks: 5_000)
        h.run()
        #expect(h.parse.emitted == 5_000)
        #expect(h.order.handedOff == 5_000)
        #expect(h.risk.fills == 5_000)
        #expect(h.risk.signalsHandled == 5_000)
        // 1 in 100 ticks is a closed candle (journaled by parse), the rest are trades (prices to risk).
        #expect(h.store.received[0] == 50)
        #expect(h.risk.pricesSeen == 4_950)
        // signal, risk and order each journal one record per tick.
        #expect(Array(h.store.received[1...]) == [5_000, 5_000, 5_000])
        #expect(h.publish.received == [5_000, 0, 5_000])
        #expect(h.parse.journalOverflows == 0 && h.signal.sideChannelOverflows == 0)
        #expect(h.rings.marketToIndicator.fullEventCount > 0, "the test should have exercised back pressure")
    }

    /// With the manual clock advancing 100 ns per duty cycle, latencies are whole multiples of it.
    @Test func latencyIsMeasuredAgainstTheInjectedClock() throws {
        let h = try FusedHarness(ticks: 1_000)
        h.run()
        var s = LatencySnapshot()
        h.order.endToEnd.collect(into: &s, includeActive: true)
        #expect(s.totalCount == 1_000)
        s.forEachBucket { range, _ in
            #expect(range.lowerBound % 100 == 0 || range.lowerBound != range.upperBound)
        }
    }

    @Test func commandsSwitchTradingOffAndSignalsAreDenied() throws {
        let h = try FusedHarness(ticks: 200)
        #expect(h.rings.commandsToRisk.tryPush(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 1, enabled: false)))
        h.run()
        #expect(h.risk.tradingEnabled == false)
        #expect(h.risk.denied == 200)
        #expect(h.order.handedOff == 0)
        #expect(h.publish.received[1] == 201)  // one tradingSwitched + 200 orderDenied events
    }

    @Test func degradedStoreStopsNewOrders() throws {
        let h = try FusedHarness(ticks: 100)
        #expect(h.rings.storeStatusToRisk.tryPush(StoreStatus(state: .degraded, timeNs: 0, errorCode: 28)))
        h.run()
        #expect(h.risk.storeDegraded && h.risk.denied == 100)
    }

    /// The real thing: the split-2 preset with real threads (busy-spin replaced by yield, as on a
    /// shared 2-core machine), 20 000 ticks paced at 200 000/s.
    @Test func split2PipelineRunsOnThreads() throws {
        let layout = try LayoutLoader.load("split-2", directories: [repositoryRoot.appendingPathComponent("Tuning/layouts").path])
            .replacingBusySpin(with: .yield)
        try layout.validate(cpuCount: availableCPUCount, isCPUAvailable: isCPUAvailable)
        let lines = LineCollector()
        var settings = TicklineConfiguration.PipelineSettings()
        settings.ringCapacity = 1024
        let p = Pipeline(layout: layout, settings: settings, totalTicks: 20_000, ticksPerSecond: 200_000,
                         logger: testLogger(lines))
        try p.start()
        let done = p.waitUntilDone(timeoutNs: 25_000_000_000)
        p.stop()
        #expect(done)
        let report = p.report(elapsedNs: 100_000_000)
        #expect(report.endToEnd.count == 20_000)
        #expect(report.hops.map(\.summary.count) == [20_000, 20_000, 20_000, 20_000])
        #expect(report.endToEnd.p50Ns <= report.endToEnd.p99Ns && report.endToEnd.p99Ns <= report.endToEnd.maxNs)
        #expect(report.hops[0].summary.p50Ns <= report.endToEnd.p50Ns)
        #expect(p.store.totalReceived == 20_000 * 3 + 20)
        #expect(report.errors == 0)
        #expect(report.json.contains("\"end_to_end\":{\"count\":20000,\"p50_ns\":"))
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

    @Test func jsonLinesAreEscaped() {
        let lines = LineCollector()
        let logger = testLogger(lines)
        logger.info("a \"quoted\"\nline", metadata: ["k": "v\t1"])
        #expect(lines.lines == [#"{"level":"info","label":"test","message":"a \"quoted\"\nline","k":"v\t1"}"# + "\n"])
        let parsed = try? JSONSerialization.jsonObject(with: Data(lines.lines[0].utf8)) as? [String: String]
        #expect(parsed?["message"] == "a \"quoted\"\nline")
    }
}
