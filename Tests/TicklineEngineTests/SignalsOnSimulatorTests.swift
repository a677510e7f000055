import Foundation
import Testing
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineIO
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// The engine's clock with the simulator's manual time as its wall clock (monotonic time stays
/// real: it only measures latency).
final class SimulatorTimeClock: NanoClock, @unchecked Sendable {
    var simNowMs: Int64
    let live = LiveClock()
    init(simNowMs: Int64) { self.simNowMs = simNowMs }
    func nowNs() -> UInt64 { live.nowNs() }
    func wallTimeMs() -> Int64 { simNowMs }
}

/// With the simulator running, the engine publishes signals: the live parse stage (io_uring
/// WebSockets and REST history), the indicator stage and the signal stage on the test thread,
/// the simulator on its manual clock. Short periods (1m trading, 5m trend) so that 30 minutes
/// of history warm everything up; history gives no signal (older than `maxSignalAgeMs`, 10 s)
/// except, possibly, the candle that closed as the engine started; live 1m closes do.
@Suite(.serialized) struct SignalsOnSimulatorTests {
    @Test func theEnginePublishesSignalsWithTheSimulatorRunning() throws {
        let startMs: Int64 = 1_735_689_600_000  // the simulator's manual clock starts at 2025-01-01T00:00:00Z
        let sim = try SimulatorProcess(seed: 5, arguments: ["--manual-clock"])
        defer { withExtendedLifetime(sim) {} }
        _ = try sim.request("POST", "/sim/advance?ms=1800000")  // 30 minutes of market before we start
        var settings = VenueSettings()
        settings.restURL = VenueURL(secure: false, host: "127.0.0.1", port: sim.port, path: "")
        settings.streamURL = settings.restURL
        settings.symbols = ["BTCUSDT"]
        settings.intervals = [.m1, .m5]
        let venue = try LiveRun.resolve(settings)
        let clock = SimulatorTimeClock(simNowMs: startMs + 1_800_000)
        let rings = PipelineRings(capacity: 4096)
        let parse = LiveParseStage(rings: rings, symbols: venue.symbols, intervals: settings.intervals,
                                   endpoints: [venue.streams[0]], rest: venue.rest, warmupCandles: 30,
                                   parser: BinanceStreamParser(symbols: BinanceSymbols(venue.symbols)), loop: try URingLoop(),
                                   wallTimeMs: { clock.simNowMs })
        let analysis = fastAnalysis(subscribed: settings.intervals, maxSignalAgeMs: 10_000)
        let indicator = IndicatorStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: analysis)
        let signal = SignalStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: analysis)
        var journal: [Signal] = [], events: [Signal] = [], toRisk: [Signal] = []

        let wall = LiveClock()
        let deadline = wall.nowNs() + 25_000_000_000
        func run(ms: Int) throws {
            let end = wall.nowNs() + UInt64(ms) * 1_000_000
            while wall.nowNs() < end {
                var work = try parse.doWork(nowNs: wall.nowNs())
                work += try indicator.doWork(nowNs: wall.nowNs())
                work += try signal.doWork(nowNs: wall.nowNs())
                _ = rings.journal(.signal).drain(limit: 1024) { r in
                    if case .signal(let s) = r.pointee.body { journal.append(s) }
                    return true
                }
                _ = rings.events(.signal).drain(limit: 1024) { e in
                    if case .signalGenerated(let s) = e.pointee.body { events.append(s) }
                    return true
                }
                _ = rings.signalToRisk.drain(limit: 1024) { s in toRisk.append(s.pointee); return true }
                _ = rings.journal(.parse).drain(limit: 1024) { _ in true }
                _ = rings.pricesToRisk.drain(limit: 1024) { _ in true }
                if work == 0 { usleep(200) }
            }
        }

        // Connected and warmed up from REST history: 30 closed 1m and 6 closed 5m candles.
        while wall.nowNs() < deadline && !(parse.feed.connections[0].state == .open && parse.historyCandles >= 36) {
            try run(ms: 50)
        }
        try run(ms: 200)
        #expect(parse.historyCandles == 36, "history: 30 × 1m + 6 × 5m")
        #expect(indicator.candlesCommitted == 36 && indicator.rejectedCandles == 0)
        #expect(journal.allSatisfy { $0.eventTimeMs == startMs + 1_800_000 }, "only the candle closing now is fresh")
        // Each history 1m close is evaluated (stale, or the fresh last one) or still warming up —
        // all of them when the 1m history is in before the 5m history that the trend filter needs.
        #expect(signal.staleCandles + signal.warmingUp + journal.count == 30 && signal.held == 0)
        let historySignals = journal.count
        let lateBefore = signal.lateTrendReleases

        // Live market: the simulator's clock moves in 5 s steps for 6.5 minutes (past the 35:00
        // boundary, where a 1m close waits for its 5m candle).
        var simMs = startMs + 1_800_000
        while wall.nowNs() < deadline && simMs < startMs + 2_190_000 {
            let answer = try sim.request("POST", "/sim/advance?ms=5000")
            simMs = try #require(Int64(answer.split(separator: ":").last?.dropLast() ?? ""), "\(answer)")
            clock.simNowMs = simMs
            try run(ms: 30)
        }
        try run(ms: 200)
        #expect(simMs >= startMs + 2_190_000, "the simulator advanced 6.5 minutes within the time limit")
        #expect(journal.count - historySignals == 6, "a signal for each live 1m close (\(signal.warmingUp) warming up, \(signal.staleCandles) stale)")
        #expect(events == journal, "every signal is also a signalGenerated event")
        #expect(toRisk == journal.filter { $0.direction != .flat }, "Long/Short to risk, Neutral not")
        #expect(indicator.provisionalPublished > 0, "kline updates of 1m give provisional values")
        #expect(signal.provisionalIgnored == indicator.provisionalPublished)
        #expect(parse.parseErrors == 0)
        for s in journal {
            #expect(s.interval == .m1 && s.symbol == SymbolID(0))
            #expect(s.candleOpenTimeMs % 60_000 == 0 && s.candleOpenTimeMs >= startMs + 1_740_000)
            #expect(s.eventTimeMs == s.candleOpenTimeMs + 60_000)
            #expect(s.entryPrice.raw > 0 && s.confidenceBp <= 10_000)
            #expect(s.strategies.isPresent(0) && s.strategies.isPresent(3), "rsi and trend scored")
            if s.direction != .flat { #expect(s.stopLoss.raw > 0 && s.takeProfit.raw > 0 && s.riskRewardBp > 0) }
        }
        // Live, every 1m close at a 5m boundary was held for its 5m candle, which arrived.
        #expect(signal.lateTrendReleases == lateBefore && signal.heldForTrend > 0)
        print("simulator signals: \(journal.count) (\(toRisk.count) to risk), held for trend \(signal.heldForTrend), "
              + "\(signal.staleCandles) stale, \(signal.warmingUp) warming up, \(indicator.provisionalPublished) provisional")
    }
}
