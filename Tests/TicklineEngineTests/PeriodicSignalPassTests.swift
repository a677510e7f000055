import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineIndicators
import TicklineRing
import TicklineStrategy

/// The signal stage's periodic pass (`[strategy] periodic_pass_ms`, `periodic_intervals`): driven
/// by data time, so a deterministic feed of closed 1m candles (two symbols, synthetic prices)
/// through the real indicator and signal stages gives a pass at every boundary, the same signal
/// sequence on every run, and none when it is off.
@Suite struct PeriodicSignalPassTests {
    static let startMs: Int64 = 1_672_531_200_000  // 2023-01-01 00:00 UTC, hour-aligned
    static let minutes = 3_600  // 60 h: the 4h trend (short periods) warms up after ~36 h

    static func symbols() throws -> SymbolTable {
        try SymbolTable([
            .init(name: "BTCUSDT", priceScale: btcScales.price, quantityScale: btcScales.quantity),
            .init(name: "ETHUSDT", priceScale: btcScales.price, quantityScale: btcScales.quantity),
        ])
    }

    static func price(_ x: Double) -> Price { Price(raw: Int64((x * 100).rounded())) }

    /// Closed 1m klines for symbol `s`: two sine waves and LCG noise, fixed seed.
    static func oneMinuteKlines(symbol s: Int) -> [Kline] {
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15 &+ UInt64(s)
        func noise() -> Double {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(seed >> 11) / Double(1 << 53) - 0.5
        }
        let base = s == 0 ? 20_000.0 : 1_500.0
        var previous = base
        return (0..<minutes).map { k in
            let x = Double(k)
            let close = base * (1 + 0.03 * sin(x / 170) + 0.01 * sin(x / 23) + 0.002 * noise())
            let open = previous
            previous = close
            let spread = base * 0.001 * (1 + abs(noise()))
            let openMs = startMs + Int64(k) * 60_000
            return Kline(eventTimeMs: openMs + 60_000, openTimeMs: openMs, interval: .m1, open: price(open),
                         high: price(max(open, close) + spread), low: price(min(open, close) - spread), close: price(close),
                         volume: Quantity(raw: Int64(1_000_000 + 500_000 * (1 + sin(x / 7)) + 200_000 * noise())),
                         quoteVolume: .zero, takerBuyVolume: Quantity(raw: 0), tradeCount: 0)
        }
    }

    /// 5m trading, 4h trend, periodic pass on 1h/4h: everything built from the 1m closes. A low
    /// `minConfidence`, so that the gentle synthetic prices give Long and Short signals too.
    static func analysis(passMs: Int64, subscribed: [Interval] = [.m1]) -> AnalysisConfiguration {
        var strategy = StrategyConfiguration()
        strategy.combiner.minConfidence = 0.05
        return AnalysisConfiguration(subscribed: subscribed, tradingInterval: .m5, indicators: shortPeriods(), strategy: strategy,
                                     periodicPassMs: passMs)
    }

    /// Feeds both symbols' 1m closes (and, with `hourUpdates`, the 1h candle in progress after
    /// each minute, closed at the hour) through the stages; the journal's signals.
    static func run(passMs: Int64, hourUpdates: Bool = false) throws -> (signals: [Signal], stage: SignalStage<ManualClock>,
                                                                        harness: AnalysisHarness<ManualClock>) {
        let h = AnalysisHarness(clock: ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000), symbols: try symbols(),
                                analysis: analysis(passMs: passMs, subscribed: hourUpdates ? [.m1, .h1] : [.m1]))
        let feeds = [oneMinuteKlines(symbol: 0), oneMinuteKlines(symbol: 1)]
        var hour: [Kline?] = [nil, nil]
        for k in 0..<minutes {
            for s in 0..<2 {
                let m = feeds[s][k]
                try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(UInt16(s)), body: .klineClosed(m)))
                guard hourUpdates else { continue }
                // The 1h candle in progress, as the exchange's kline updates give it.
                var c = hour[s] ?? Kline(eventTimeMs: m.eventTimeMs, openTimeMs: m.openTimeMs - m.openTimeMs % 3_600_000,
                                         interval: .h1, open: m.open, high: m.high, low: m.low, close: m.close, volume: Quantity(raw: 0),
                                         quoteVolume: .zero, takerBuyVolume: Quantity(raw: 0), tradeCount: 0)
                c.high = max(c.high, m.high)
                c.low = min(c.low, m.low)
                c.close = m.close
                c.volume = Quantity(raw: c.volume.raw + m.volume.raw)
                c.eventTimeMs = m.eventTimeMs
                let closes = m.eventTimeMs % 3_600_000 == 0
                try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(UInt16(s)), body: closes ? .klineClosed(c) : .klineUpdate(c)))
                hour[s] = closes ? nil : c
            }
            h.clock.advance(byNs: 1_000)
            h.run()
        }
        h.run()
        return (h.journal, h.signal, h)
    }

    @Test(arguments: [Int64(60_000), 300_000])
    func aPassAtEveryDataTimeBoundary(passMs: Int64) throws {
        let (signals, stage, h) = try Self.run(passMs: passMs)
        // The first close (00:01) schedules the next boundary; each later close reaching one runs
        // a pass: minute closes at 00:02 … end with 60 s; closes at multiples of 5 min with 300 s.
        let expected = passMs == 60_000 ? Self.minutes - 1 : Self.minutes / 5
        #expect(stage.periodicPasses == expected)
        #expect(stage.periodicBoundariesSkipped == 0)
        #expect(stage.dataTimeMs == Self.startMs + Int64(Self.minutes) * 60_000)
        // Every pass evaluates each symbol: a signal or a warm-up (or stale, not with age 0).
        #expect(stage.periodicSignals + stage.periodicWarmingUp == 2 * expected)
        #expect(stage.periodicStale == 0)
        let pass = signals.filter { $0.interval == .h1 }
        #expect(pass.count == stage.periodicSignals && pass.count > 100)
        // Pass signals: at boundaries, per symbol one per boundary, consecutive once warm.
        #expect(pass.allSatisfy { $0.eventTimeMs % passMs == 0 })
        for s in 0..<2 {
            let times = pass.filter { $0.symbol == SymbolID(UInt16(s)) }.map(\.eventTimeMs)
            #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == passMs })
            #expect(times.last == Self.startMs + Int64(Self.minutes) * 60_000)
        }
        // 1h derived from 1m: no provisional 1h, so the last closed hour is evaluated.
        #expect(pass.allSatisfy { $0.candleOpenTimeMs + 3_600_000 <= $0.eventTimeMs })
        // Published like the close-triggered signals.
        #expect(h.events == h.journal)
        #expect(h.toRisk == signals.filter { $0.direction != .flat })
        #expect(stage.signals == signals.count && stage.sideChannelOverflows == 0)
        #expect(pass.contains { $0.direction != .flat })
    }

    @Test func sameInputSameSignals() throws {
        let a = try Self.run(passMs: 60_000).signals
        let b = try Self.run(passMs: 60_000).signals
        #expect(a.count > 100)
        #expect(a == b)
    }

    @Test func zeroTurnsThePassOff() throws {
        let (off, stage, _) = try Self.run(passMs: 0)
        #expect(stage.periodicPasses == 0 && stage.periodicSignals == 0)
        #expect(!off.contains { $0.interval == .h1 })
        // The close-triggered signals are the same with the pass on (ids aside: they interleave).
        let on = try Self.run(passMs: 60_000).signals.filter { $0.interval == .m5 }
        func key(_ s: Signal) -> Signal {
            var s = s
            s.signalID = 0
            return s
        }
        #expect(off.count > 0)
        #expect(off.map(key) == on.map(key))
    }

    @Test func provisionalHourIsEvaluatedWhenSubscribed() throws {
        #expect(Self.analysis(passMs: 60_000, subscribed: [.m1, .h1]).provisional == [.h1])
        #expect(Self.analysis(passMs: 0, subscribed: [.m1, .h1]).provisional == [])
        #expect(Self.analysis(passMs: 60_000).tracked == [.m1, .m5, .h1, .h4])
        #expect(Self.analysis(passMs: 0).tracked == [.m1, .m5, .h4])
        let (signals, stage, _) = try Self.run(passMs: 60_000, hourUpdates: true)
        #expect(stage.periodicPasses == Self.minutes - 1)
        let pass = signals.filter { $0.interval == .h1 }
        // Mid-hour passes see the hour in progress (its open is within the last hour).
        #expect(pass.contains { $0.candleOpenTimeMs + 3_600_000 > $0.eventTimeMs })
        #expect(try Self.run(passMs: 60_000, hourUpdates: true).signals == signals)
    }

    @Test func configurationParsesAndNamesBadKeys() throws {
        let d = try TicklineConfiguration.parse(text: "", file: "t.toml").strategy
        #expect(d.periodicPassMs == 60_000 && d.periodicIntervals == [.h1, .h4])
        let c = try TicklineConfiguration.parse(text: """
            [venue]
            intervals = ["1m", "5m", "15m"]
            [strategy]
            periodic_pass_ms = 30000
            periodic_intervals = ["15m", "1h"]
            """, file: "t.toml")
        #expect(c.strategy.periodicPassMs == 30_000 && c.strategy.periodicIntervals == [.m15, .h1])
        let a = try AnalysisConfiguration(c.strategy, subscribed: c.venue.intervals)
        #expect(a.periodicPassMs == 30_000 && a.periodicTradingInterval == .m15 && a.periodicTrendInterval == .h1)
        #expect(a.provisional == [.m5, .m15] && a.tracked.contains(.h1))
        let off = try TicklineConfiguration.parse(text: "[strategy]\nperiodic_pass_ms = 0\n", file: "t.toml")
        #expect(try AnalysisConfiguration(off.strategy, subscribed: off.venue.intervals).periodicPassMs == 0)

        for (line, key, message) in [
            ("periodic_pass_ms = -1", "strategy.periodic_pass_ms", "must be an integer in 0...86400000"),
            ("periodic_pass_ms = \"60s\"", "strategy.periodic_pass_ms", "must be an integer"),
            ("periodic_intervals = [\"4h\", \"1h\"]", "strategy.periodic_intervals", "must be two intervals"),
            ("periodic_intervals = [\"1h\"]", "strategy.periodic_intervals", "must be two intervals"),
            ("periodic_intervals = [\"7m\", \"1h\"]", "strategy.periodic_intervals", "must be two intervals"),
            ("periodic_intervals = \"1h\"", "strategy.periodic_intervals", "must be two intervals"),
        ] {
            do {
                _ = try TicklineConfiguration.parse(text: "# strategy\n[strategy]\n\(line)\n", file: "t.toml")
                Issue.record("\(line) was accepted")
            } catch {
                #expect(error.line == 3, "\(error)")
                #expect("\(error)".contains(key) && "\(error)".contains(message), "\(error)")
            }
        }
        // Not buildable from the subscribed intervals (only while the pass is on).
        #expect {
            try TicklineConfiguration.parse(text: "[venue]\nintervals = [\"1m\", \"5m\", \"4h\"]\n[strategy]\nperiodic_intervals = [\"1h\", \"1w\"]\n",
                                            file: "t.toml")
        } throws: { "\($0)".contains("strategy.periodic_intervals") }
        #expect((try? TicklineConfiguration.parse(text: "[venue]\nintervals = [\"1m\", \"5m\", \"4h\"]\n[strategy]\nperiodic_pass_ms = 0\n",
                                                  file: "t.toml")) != nil)
    }
}
