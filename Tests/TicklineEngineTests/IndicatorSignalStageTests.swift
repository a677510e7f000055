import Foundation
import Testing
import TicklineCore
import TicklineEngine
import TicklineIndicators
import TicklineRing
import TicklineStrategy

/// The indicator and signal stages on real rings, driven on the test thread: the real
/// BTCUSDT-PERP-5m candles in as `.klineClosed` events, signals out on the journal, event and
/// risk rings. The engine replaying that file must produce exactly the sequence of
/// scripts/strategy_reference.py (TA-Lib indicators, an independent statement of the
/// strategies): same candle times, same directions, confidence within 1e-9.
@Suite struct IndicatorSignalStageTests {
    struct Published {
        var signal: Signal
        var evaluation: SignalEvaluation
    }

    /// Feeds `events` one at a time; after each, the signal the stages published (if any) with
    /// the signal stage's `Double` evaluation.
    static func replay(_ harness: AnalysisHarness<ManualClock>, _ events: [MarketEvent]) throws -> [Published] {
        var out: [Published] = []
        for event in events {
            try harness.push(event)
            harness.clock.advance(byNs: 1_000)
            harness.run()
            while out.count < harness.journal.count {
                let s = harness.journal[out.count]
                out.append(Published(signal: s, evaluation: try #require(harness.signal.lastEvaluation(symbol: s.symbol))))
            }
        }
        return out
    }

    static func closed(_ k: Kline) -> MarketEvent { MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .klineClosed(k)) }

    /// The published sequence against the reference; readable differences (empty when equal).
    static func differences(_ published: [Published], _ reference: [ReferenceSignal]) -> [String] {
        var problems: [String] = []
        if published.count != reference.count { problems.append("\(published.count) signals, reference \(reference.count)") }
        for (i, (p, r)) in zip(published, reference).enumerated() {
            let at = "signal \(i) (open time \(r.openTimeMs))"
            if p.signal.candleOpenTimeMs != r.openTimeMs || p.evaluation.candleOpenTimeMs != r.openTimeMs {
                problems.append("\(at): time \(p.signal.candleOpenTimeMs)")
            }
            if p.signal.direction.referenceName != r.direction { problems.append("\(at): direction \(p.signal.direction)") }
            if abs(p.evaluation.confidence - r.confidence) > 1e-9 { problems.append("\(at): confidence \(p.evaluation.confidence), want \(r.confidence)") }
            if abs(p.evaluation.score - r.score) > 1e-9 { problems.append("\(at): score \(p.evaluation.score), want \(r.score)") }
            if Int(p.signal.confidenceBp) != Int((r.confidence * 10_000).rounded()) {
                problems.append("\(at): confidenceBp \(p.signal.confidenceBp)")
            }
        }
        return problems
    }

    static func checkRings(_ h: AnalysisHarness<ManualClock>, _ published: [Published], _ reference: [ReferenceSignal]) {
        // Every signal to the journal and as signalGenerated to the event ring; Long/Short to risk.
        #expect(h.events == h.journal)
        let directional = published.map(\.signal).filter { $0.direction != .flat }
        #expect(h.toRisk == directional)
        #expect(h.toRisk.count == reference.filter { $0.direction != "neutral" }.count)
        #expect(h.signal.longSignals == reference.filter { $0.direction == "long" }.count)
        #expect(h.signal.shortSignals == reference.filter { $0.direction == "short" }.count)
        #expect(h.signal.sideChannelOverflows == 0)
        // Event time is the candle's close: replay reproduces it.
        #expect(published.allSatisfy { $0.signal.eventTimeMs == $0.signal.candleOpenTimeMs + 300_000 })
        #expect(published.allSatisfy { $0.signal.interval == .m5 && $0.signal.symbol == SymbolID(0) })
    }

    /// Replay of a 5m file: only 5m is "subscribed"; the 4h trend is built by the stage's
    /// `CandleAggregator` from the same candles (and published before the 5m update).
    @Test func replayOfTheFileMatchesTheReference() throws {
        let reference = try loadStrategyReference()
        let klines = try loadKlines()
        let h = AnalysisHarness(clock: ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000), symbols: try btcTable(),
                                analysis: AnalysisConfiguration(subscribed: [.m5], tradingInterval: .m5))
        #expect(h.indicator.intervals == [.m5, .h4])
        let published = try Self.replay(h, klines.map(Self.closed))
        let problems = Self.differences(published, reference)
        #expect(problems.isEmpty, "\(problems.count) differences; first: \(problems.prefix(6).joined(separator: "; "))")
        Self.checkRings(h, published, reference)
        print("engine replay: \(published.count) signals (\(h.toRisk.count) to risk), reference \(reference.count)")
        // Warm-up: 5m closes before the first signal gave nothing.
        let first = try #require(klines.firstIndex { $0.openTimeMs == reference[0].openTimeMs })
        #expect(h.signal.warmingUp == first)
        #expect(h.indicator.candlesCommitted == klines.count + 229, "every 5m candle and the 229 4h buckets")
        #expect(h.indicator.rejectedCandles == 0 && h.signal.held == 0 && h.signal.heldForTrend == 0)
        #expect(h.indicator.latency.name == "ingress_to_indicator")
    }

    /// Live shape: 5m and 4h both come closed from the parse stage, and the 4h close arrives
    /// *after* the 5m close of the same instant (as the exchange's independent `x:true` events
    /// may). The signal stage holds that 5m evaluation for the 4h candle: same sequence.
    @Test func trendCloseArrivingAfterTheTradingCloseIsWaitedFor() throws {
        let reference = try loadStrategyReference()
        let klines = try loadKlines()
        var events: [MarketEvent] = []
        var bucket: Kline?
        for k in klines {
            events.append(Self.closed(k))
            let open = Interval.h4.openTime(containing: k.openTimeMs)
            if var b = bucket {
                b.high = max(b.high, k.high)
                b.low = min(b.low, k.low)
                b.close = k.close
                b.volume = b.volume &+ k.volume
                bucket = b
            } else {
                bucket = Kline(eventTimeMs: 0, openTimeMs: open, interval: .h4, open: k.open, high: k.high, low: k.low,
                               close: k.close, volume: k.volume, quoteVolume: .zero, takerBuyVolume: Quantity(raw: 0),
                               tradeCount: 0)
            }
            if k.openTimeMs + 300_000 == open + Interval.h4.durationMs {
                events.append(Self.closed(bucket!))  // after the 5m close of the same instant
                bucket = nil
            }
        }
        let h = AnalysisHarness(clock: ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000), symbols: try btcTable(),
                                analysis: AnalysisConfiguration(subscribed: [.m5, .h4], tradingInterval: .m5))
        let published = try Self.replay(h, events)
        let problems = Self.differences(published, reference)
        #expect(problems.isEmpty, "\(problems.count) differences; first: \(problems.prefix(6).joined(separator: "; "))")
        Self.checkRings(h, published, reference)
        #expect(h.signal.heldForTrend == 229 && h.signal.lateTrendReleases == 0 && h.signal.held == 0)
    }

    /// A trend candle that never comes: the held evaluation goes out at the symbol's next trading
    /// close, or after `trendHoldNs`.
    @Test func heldEvaluationIsReleasedWithoutItsTrendCandle() throws {
        let klines = try loadKlines()
        var analysis = AnalysisConfiguration(subscribed: [.m5, .h4], tradingInterval: .m5)
        analysis.trendHoldNs = 5_000_000
        let h = AnalysisHarness(clock: ManualClock(startNs: 1_000), symbols: try btcTable(), analysis: analysis)
        // Warm up on 5m alone (no trend: every evaluation is nil, boundary closes held and released).
        // 1191 candles: the last one (index 38 + 48 × 24) closes at a 4h boundary and stays held.
        for k in klines.prefix(1191) { try h.push(Self.closed(k)) }
        h.run()
        #expect(h.signal.heldForTrend == 25 && h.signal.held == 1 && h.signal.lateTrendReleases == 24)
        #expect(h.journal.isEmpty, "no trend, no signal")
        let pending = h.signal.held
        h.clock.advance(byNs: 6_000_000)
        h.run()
        #expect(h.signal.held == 0 && h.signal.lateTrendReleases == h.signal.heldForTrend, "pending \(pending) released by time")
    }

    /// Bad candles are refused with a reason and never reach an indicator; trades and book
    /// tickers are drained; provisional values equal what the close then commits.
    @Test func badInputIsCountedNotFolded() throws {
        let klines = try loadKlines()
        let h = AnalysisHarness(clock: ManualClock(startNs: 1_000), symbols: try btcTable(),
                                analysis: AnalysisConfiguration(subscribed: [.m5], tradingInterval: .m5))
        for k in klines.prefix(40) { try h.push(Self.closed(k)) }
        h.run()
        let before = try #require(h.indicator.latest(symbol: SymbolID(0), interval: .m5))
        let last = klines[39], next = klines[40]
        var bad: [Kline] = []
        bad.append(last)                                                     // duplicate
        bad.append(klines[10])                                               // out of order
        var k = next; k.low = Price(raw: 0); bad.append(k)                   // non-positive price
        k = next; k.high = Price(raw: next.low.raw - 10); bad.append(k)      // high below low
        k = next; k.volume = Quantity(raw: -1); bad.append(k)                // negative volume
        k = next; k.openTimeMs += 1; bad.append(k)                           // misaligned
        for b in bad { try h.push(Self.closed(b)) }
        try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(7), body: .klineClosed(next)))  // unknown symbol
        k = next; k.interval = .h1; try h.push(Self.closed(k))                                  // interval not tracked
        try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .trade(TradeTick(
            eventTimeMs: 0, tradeTimeMs: 0, tradeID: 1, price: next.close, quantity: Quantity(raw: 1), aggressor: .buy,
            isAggregate: true))))
        try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .bookTicker(BookTicker(
            eventTimeMs: 0, updateID: 1, bidPrice: next.close, bidQuantity: Quantity(raw: 1), askPrice: next.close,
            askQuantity: Quantity(raw: 1)))))
        h.run()
        let c = try #require(h.indicator.counters(symbol: SymbolID(0), interval: .m5))
        #expect(c.duplicate == 1 && c.outOfOrder == 1 && c.nonPositivePrice == 1 && c.inconsistentRange == 1)
        #expect(c.negativeVolume == 1 && c.misalignedOpenTime == 1 && c.accepted == 40)
        #expect(h.indicator.unknownSymbol == 1 && h.indicator.untrackedInterval == 1)
        #expect(h.indicator.rejectedCandles == 8 && h.indicator.passiveEvents == 2)
        #expect(h.indicator.latest(symbol: SymbolID(0), interval: .m5) == before, "nothing folded in")
        let h4 = h.indicator.counters(symbol: SymbolID(0), interval: .h4)?.accepted ?? 0
        #expect(h.indicator.handled == 40 + 10 && h.indicator.candlesCommitted == 40 + Int(h4))

        // The candle in progress: provisional values, then the close commits exactly those.
        try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .klineUpdate(next)))
        try h.push(MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .klineUpdate(last)))  // already closed: refused
        h.run()
        #expect(h.indicator.provisionalPublished == 1 && h.indicator.provisionalRefused == 1)
        #expect(h.signal.provisionalIgnored == 1, "provisional values make no signal")
        try h.push(Self.closed(next))
        h.run()
        #expect(h.indicator.counters(symbol: SymbolID(0), interval: .m5)?.accepted == 41)
    }

    /// The same candles twice through fresh stages: the same signals, bit for bit.
    @Test func replayIsDeterministic() throws {
        let klines = Array(try loadKlines().prefix(4000))
        func once() throws -> [Signal] {
            let h = AnalysisHarness(clock: ManualClock(startNs: 1_000), symbols: try btcTable(),
                                    analysis: AnalysisConfiguration(subscribed: [.m5], tradingInterval: .m5))
            for k in klines { try h.push(Self.closed(k)); h.run() }
            return h.journal
        }
        let a = try once(), b = try once()
        #expect(!a.isEmpty && a == b)
    }
}
