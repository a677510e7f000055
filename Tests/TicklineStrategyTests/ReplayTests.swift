import Foundation
import Testing
import TicklineCore
import TicklineIndicators
import TicklineStrategy

/// The engine's chain on the real BTCUSDT-PERP-5m series against scripts/strategy_reference.py
/// (TA-Lib indicators and a second statement of the strategies and the combiner): the 5m
/// `IndicatorBank`, a `CandleAggregator` building 4h candles from the same 5m candles into a 4h
/// bank, and a `StrategyEvaluator` evaluated at every 5m close. The sequence must be exactly the
/// reference's: same candle times, same directions, confidence within 1e-9; every other number
/// within 1e-9 (relative above 1) and
/// every name (reasons, analysis) equal.
@Suite struct ReplayTests {
    /// The wiring written out here rather than through `SignalReplay`, so the test states the
    /// order the engine must keep: 5m bank, then the 4h candle the 5m candle closes, then evaluate.
    static func replay(_ candles: [Candle]) -> [SignalEvaluation] {
        var trading = IndicatorBank(symbol: SymbolID(1), interval: .m5)
        var aggregator = CandleAggregator(from: .m5, to: .h4)
        var trend = IndicatorBank(symbol: SymbolID(1), interval: .h4)
        var evaluator = StrategyEvaluator(configuration: .standard)
        var out: [SignalEvaluation] = []
        out.reserveCapacity(candles.count)
        for candle in candles {
            guard trading.commit(candle).isAccepted, let snapshot = trading.latest else { continue }
            let bucket = aggregator.add(candle)
            for closed in [bucket.flushedByGap, bucket.closed].compactMap({ $0 }) {
                if trend.commit(closed).isAccepted { evaluator.trendCandleClosed(trend.latest!) }
            }
            if let e = evaluator.tradingCandleClosed(snapshot) { out.append(e) }
        }
        return out
    }

    /// Differences from the reference, as readable lines (empty when they agree).
    static func differences(_ evaluations: [SignalEvaluation], _ reference: [ReferenceRow]) -> [String] {
        var problems: [String] = []
        if evaluations.count != reference.count {
            problems.append("\(evaluations.count) evaluations, reference \(reference.count)")
        }
        for (i, (e, r)) in zip(evaluations, reference).enumerated() {
            let at = "row \(i) (open time \(r.openTimeMs))"
            if e.candleOpenTimeMs != r.openTimeMs { problems.append("\(at): time \(e.candleOpenTimeMs)") }
            if e.direction.name != r.direction { problems.append("\(at): direction \(e.direction.name), want \(r.direction)") }
            for (name, value) in numericColumns {
                let got = value(e), want = r.number(name)
                if let want {
                    if !agrees(got, want, tolerance: tolerance(name)) { problems.append("\(at): \(name) \(got), want \(want)") }
                } else if !got.isNaN {
                    problems.append("\(at): \(name) \(got), want none")
                }
            }
            for (name, value) in nameColumns where value(e) != r.fields[name].map(String.init) {
                problems.append("\(at): \(name) \(value(e)), want \(r.fields[name] ?? "-")")
            }
        }
        return problems
    }

    @Test func matchesTheReferenceSequence() throws {
        let reference = try loadReference()
        #expect(reference.header == SignalEvaluation.csvHeader.split(separator: ",").map(String.init))
        let candles = try loadCandles()
        let evaluations = Self.replay(candles)
        let problems = Self.differences(evaluations, reference.rows)
        #expect(problems.isEmpty, "\(problems.count) differences; first: \(problems.prefix(8).joined(separator: "; "))")

        // Warm-up: nothing before the 4h EMA(20) is ready (the 20th 4h candle, the first being
        // the file's partial one), then a signal at every 5m close.
        let first = try #require(evaluations.first)
        let index = try #require(candles.firstIndex { $0.openTimeMs == first.candleOpenTimeMs })
        #expect(evaluations.count == candles.count - index)
        let counts = Dictionary(grouping: evaluations, by: \.direction).mapValues(\.count)
        print("strategy replay: \(evaluations.count) signals from candle \(index): "
              + "\(counts[.long] ?? 0) long, \(counts[.short] ?? 0) short, \(counts[.flat] ?? 0) neutral")
        #expect((counts[.long] ?? 0) > 0 && (counts[.short] ?? 0) > 0 && (counts[.flat] ?? 0) > 0)
    }

    /// What a trader expects of every signal in the sequence.
    @Test func signalsAreSane() throws {
        let evaluations = Self.replay(try loadCandles())
        try #require(!evaluations.isEmpty)
        let configuration = StrategyConfiguration.standard
        for e in evaluations {
            #expect(e.confidence >= 0 && e.confidence <= 1 && abs(e.score) <= 1)
            switch e.direction {
            case .long:
                #expect(e.stopLoss < e.entry && e.entry < e.takeProfit)
                #expect(e.confidence >= configuration.combiner.minConfidence && e.score > 0)
                #expect((e.strategies.trend?.value ?? 0) > -configuration.combiner.counterTrendVeto!)
            case .short:
                #expect(e.takeProfit < e.entry && e.entry < e.stopLoss)
                #expect(e.confidence >= configuration.combiner.minConfidence && e.score < 0)
                #expect((e.strategies.trend?.value ?? 0) < configuration.combiner.counterTrendVeto!)
            case .flat:
                #expect(e.stopLoss == 0 && e.takeProfit == 0 && e.riskReward == 0)
            }
            if e.direction != .flat {
                #expect(e.reason == .confirmed && e.agreement >= configuration.combiner.minAgreement)
                #expect(abs(e.riskReward - abs(e.takeProfit - e.entry) / abs(e.entry - e.stopLoss)) == 0)
                #expect(abs(e.riskReward - 2) < 1e-9)
                let s = e.signal(symbol: SymbolID(1), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 0,
                                 signalID: 1, eventTimeMs: e.candleOpenTimeMs + 300_000)
                if e.direction == .long {
                    #expect(s.stopLoss < s.entryPrice && s.entryPrice < s.takeProfit)
                } else {
                    #expect(s.takeProfit < s.entryPrice && s.entryPrice < s.stopLoss)
                }
            }
        }
    }

    /// Same candles, same signals: two replays (and `SignalReplay`) agree bit for bit.
    @Test func deterministic() throws {
        let candles = try loadCandles()
        let a = Self.replay(candles), b = Self.replay(candles)
        #expect(a == b)
        var replay = SignalReplay(symbol: SymbolID(1), interval: .m5)
        let c = candles.compactMap { replay.add($0) }
        #expect(c == a)
        #expect(replay.aggregator.incompleteBuckets == 1)  // the file starts at 16:45, mid-bucket
    }

    /// A provisional evaluation of the candle in progress (the bank's `peek`) is what the close
    /// will give.
    @Test func provisionalEqualsClose() throws {
        let candles = Array(try loadCandles().prefix(2_000))
        var replay = SignalReplay(symbol: SymbolID(1), interval: .m5)
        var mismatches = 0
        for candle in candles {
            let provisional = replay.trading.peek(candle).flatMap { replay.evaluator.provisional($0) }
            // The 4h candle this 5m candle closes is not in `provisional`; compare only when none closes.
            let closesTrend = (candle.openTimeMs + 300_000) % 14_400_000 == 0
            let closed = replay.add(candle)
            if !closesTrend && provisional != closed { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }
}
