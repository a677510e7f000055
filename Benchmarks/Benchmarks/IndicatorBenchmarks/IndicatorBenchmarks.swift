import Benchmark
import Foundation
import TicklineCore
import TicklineEngine
import TicklineIndicators
import TicklineRing
import TicklineStrategy

/// Cost per candle of the indicator and signal paths, with malloc counts (the gate: 0).
///
/// Input: the real BTCUSDT-PERP-5m series (`../shared/data/klines/`, or `TICKLINE_KLINES`),
/// replayed in a loop with open times that keep increasing, so every candle is accepted.
///
/// - "IndicatorBank commit per candle (all indicators)": SMA, EMA, RSI, MACD, Bollinger, ATR,
///   Stochastic, OBV, VWAP, volume SMA/ratio and ADX of one (symbol, interval).
/// - "IndicatorStage per closed 5m candle (5m bank + 4h bucket)": the stage's `doWork` on one
///   `.klineClosed` event: ring hop in and out, the 5m commit, the 4h aggregation (and a 4h
///   commit every 48th candle).
/// - "SignalStage per candle close, all strategies on": the stage's `doWork` on one closed 5m
///   `IndicatorUpdate` (warm, trend known): the five strategies, the combiner, the `Signal`, its
///   journal record and event, and for Long/Short the risk ring.
/// - "StrategyEvaluator per candle close (no rings)": the evaluation alone.
let benchmarks: @Sendable () -> Void = {
    let candles = loadSeries()
    let config = Benchmark.Configuration(metrics: [.wallClock, .throughput, .mallocCountTotal],
                                         scalingFactor: .kilo, maxDuration: .seconds(3))

    Benchmark("IndicatorBank commit per candle (all indicators)", configuration: config) { benchmark in
        var bank = IndicatorBank(symbol: SymbolID(0), interval: .m5)
        var i = 0
        var t: Int64 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var c = candles[i]
            c.openTimeMs = t
            bank.commit(c)
            t &+= 300_000
            i = i + 1 == candles.count ? 0 : i + 1
        }
        benchmark.stopMeasurement()
        blackHole(bank.latest)
    }

    Benchmark("IndicatorStage per closed 5m candle (5m bank + 4h bucket)", configuration: config) { benchmark in
        let symbols = try SymbolTable([.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2),
                                             quantityScale: DecimalScale(places: 3))])
        let rings = PipelineRings(capacity: 4096)
        let stage = IndicatorStage(rings: rings, clock: LiveClock(), symbols: symbols,
                                   configuration: AnalysisConfiguration(subscribed: [.m5], tradingInterval: .m5))
        let klines = candles.map { c in
            Kline(eventTimeMs: 0, openTimeMs: 0, interval: .m5, open: Price(raw: Int64((c.open * 100).rounded())),
                  high: Price(raw: Int64((c.high * 100).rounded())), low: Price(raw: Int64((c.low * 100).rounded())),
                  close: Price(raw: Int64((c.close * 100).rounded())), volume: Quantity(raw: Int64((c.volume * 1000).rounded())),
                  quoteVolume: .zero, takerBuyVolume: Quantity(raw: 0), tradeCount: 0)
        }
        let input = rings.marketToIndicator.handle, output = rings.indicatorToSignal.handle
        var i = 0
        var t: Int64 = 0
        func one() throws {
            var k = klines[i]
            k.openTimeMs = t
            _ = input.tryPush(MarketEvent(ingressNs: 0, symbol: SymbolID(0), body: .klineClosed(k)))
            _ = try stage.doWork(nowNs: 0)
            _ = output.drain(limit: 8) { _ in true }
            t &+= 300_000
            i = i + 1 == klines.count ? 0 : i + 1
        }
        for _ in 0..<2_000 { try one() }  // warm: every window full
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try one() }
        benchmark.stopMeasurement()
        blackHole(stage.candlesCommitted)
    }

    /// Warm closed 5m updates (with the 4h bank's latest snapshot in the evaluator) for the
    /// signal benchmarks: computed once, replayed.
    let prepared: (trend: IndicatorSnapshot, updates: [IndicatorUpdate]) = {
        var trading = IndicatorBank(symbol: SymbolID(0), interval: .m5)
        var aggregator = CandleAggregator(from: .m5, to: .h4)
        var trend = IndicatorBank(symbol: SymbolID(0), interval: .h4)
        var updates: [IndicatorUpdate] = []
        for c in candles {
            trading.commit(c)
            let out = aggregator.add(c)
            if let b = out.closed { trend.commit(b) }
            if let s = trading.latest, s.ready.isSuperset(of: [.rsi, .macd, .bollinger, .atr, .volume, .adx]) {
                updates.append(trading.update(s, ingressNs: 0, close: Price(raw: Int64((s.close * 100).rounded())), isClosed: true))
            }
        }
        return (trend.latest!, updates)
    }()

    Benchmark("SignalStage per candle close, all strategies on", configuration: config) { benchmark in
        let symbols = try SymbolTable([.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2),
                                             quantityScale: DecimalScale(places: 3))])
        let rings = PipelineRings(capacity: 4096)
        let analysis = AnalysisConfiguration(subscribed: [.m5], tradingInterval: .m5)
        let stage = SignalStage(rings: rings, clock: LiveClock(), symbols: symbols, configuration: analysis)
        let input = rings.indicatorToSignal.handle
        let journal = rings.journal(.signal).handle, events = rings.events(.signal).handle, risk = rings.signalToRisk.handle
        // The trend candle, delivered once (open time far in the future: no trading close waits for it).
        var trend = prepared.updates[0]
        trend.interval = .h4
        trend.candleOpenTimeMs = 1 << 50
        trend.ready = prepared.trend.ready
        trend.values = prepared.trend.values
        _ = input.tryPush(trend)
        _ = try stage.doWork(nowNs: 0)
        let updates = prepared.updates
        var i = 0
        var t: Int64 = 300_000
        func one() throws {
            var u = updates[i]
            u.candleOpenTimeMs = t  // never on a 4h boundary + 5m: see the stride below
            _ = input.tryPush(u)
            _ = try stage.doWork(nowNs: 0)
            _ = journal.drain(limit: 8) { _ in true }
            _ = events.drain(limit: 8) { _ in true }
            _ = risk.drain(limit: 8) { _ in true }
            t &+= 300_000
            if (t &+ 300_000) % 14_400_000 == 0 { t &+= 300_000 }  // skip closes at a 4h boundary (they would wait)
            i = i + 1 == updates.count ? 0 : i + 1
        }
        for _ in 0..<2_000 { try one() }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { try one() }
        benchmark.stopMeasurement()
        precondition(stage.signals > 0 && stage.warmingUp <= 1, "the stage must be warm (the first close has no previous)")
        blackHole(stage.signals)
    }

    Benchmark("StrategyEvaluator per candle close (no rings)", configuration: config) { benchmark in
        var evaluator = StrategyEvaluator(configuration: .standard)
        evaluator.trendCandleClosed(prepared.trend)
        let snapshots = prepared.updates.map {
            IndicatorSnapshot(openTimeMs: $0.candleOpenTimeMs, close: Double($0.close.raw) / 100, ready: $0.ready, values: $0.values)
        }
        var i = 0
        var n = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            if let e = evaluator.tradingCandleClosed(snapshots[i]), e.direction != .flat { n &+= 1 }
            i = i + 1 == snapshots.count ? 0 : i + 1
        }
        benchmark.stopMeasurement()
        blackHole(n)
    }
}

/// The BTCUSDT-PERP-5m candles as `Candle`s.
func loadSeries() -> [Candle] {
    let directory = ProcessInfo.processInfo.environment["TICKLINE_KLINES"] ?? "../../shared/data/klines"
    let path = directory + "/BTCUSDT-PERP-5m-20230102-20230209.csv"
    guard let data = FileManager.default.contents(atPath: path) else { fatalError("cannot read \(path) (set TICKLINE_KLINES)") }
    return String(decoding: data, as: UTF8.self).split(separator: "\n").dropFirst().map { line in
        let f = line.split(separator: ",")
        return Candle(openTimeMs: Int64(f[0])!, open: Double(f[1])!, high: Double(f[2])!, low: Double(f[3])!,
                      close: Double(f[4])!, volume: Double(f[5])!)
    }
}
