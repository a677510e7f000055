import Testing
import TicklineCore
import TicklineIndicators
@testable import TicklineStrategy

/// The combiner's arithmetic and rules worked by hand (default weights: rsi, macd, bollinger,
/// trend 1 and volume 0.5, so Σw = 4.5), and the `Signal` message it becomes.
@Suite struct SignalCombinerTests {
    /// Close 100, ATR 2, volume ratio 2; scores given directly, in slot order.
    func combine(_ rsi: Double?, _ macd: Double?, _ bollinger: Double?, _ trend: Double?, _ volume: Double?,
                 configuration: StrategyConfiguration = .standard, atrReady: Bool = true, atr: Double = 2)
        -> SignalEvaluation? {
        var scores = StrategyScores()
        scores.rsi = rsi.map { StrategyScore($0, $0 > 0 ? .rsiOversold : $0 < 0 ? .rsiOverbought : .rsiNeutral) }
        scores.macd = macd.map { StrategyScore($0, .macdAboveSignal) }
        scores.bollinger = bollinger.map { StrategyScore($0, .insideBands) }
        scores.trend = trend.map { StrategyScore($0, .trendUp) }
        scores.volume = volume.map { StrategyScore($0, .volumeConfirmsUp) }
        let current = snapshot(close: 100, time: 1_000, atrReady ? [.atr, .volume] : [.volume]) {
            $0.atr = atr
            $0.volumeRatio = 2
        }
        return configuration.combiner.combine(scores, input: StrategyInput(current: current), configuration: configuration)
    }

    @Test func longByHand() throws {
        // S = (0.5 + 0.75 + 0 + 0.5 + 0.5·0.5) / 4.5 = 2 / 4.5; all on one side: agreement 1.
        let e = try #require(combine(0.5, 0.75, 0, 0.5, 0.5))
        #expect(e.direction == .long && e.reason == .confirmed)
        #expect(e.score == 2.0 / 4.5 && e.confidence == 2.0 / 4.5)
        #expect(e.agreement == 1)
        #expect(e.candleOpenTimeMs == 1_000)
        // Entry 100, ATR 2: SL 100 − 1.5·2 = 97 below, TP 100 + 3·2 = 106 above, RR 6/3 = 2.
        #expect(e.entry == 100 && e.stopLoss == 97 && e.takeProfit == 106)
        #expect(e.stopLoss < e.entry && e.entry < e.takeProfit)
        #expect(e.riskReward == 2)
        #expect(e.atrFraction == 0.02 && e.stopDistanceFraction == 0.03)
        // Trend 0.5: up (not strong); ATR 2 % of the price: extreme; ratio 2: high.
        #expect(e.analysis == MarketAnalysis(trend: .up, volatility: .extreme, volume: .high))
        #expect(e.strategies.macd == StrategyScore(0.75, .macdAboveSignal))
    }

    @Test func shortByHand() throws {
        // S = −(1 + 0.5 + 0.5 + 1 + 0.5·1) / 4.5 = −3.5/4.5.
        let e = try #require(combine(-1, -0.5, -0.5, -1, -1))
        #expect(e.direction == .short && e.reason == .confirmed)
        #expect(e.score == -3.5 / 4.5 && e.confidence == 3.5 / 4.5)
        #expect(e.stopLoss == 103 && e.takeProfit == 94)  // SL above, TP below
        #expect(e.takeProfit < e.entry && e.entry < e.stopLoss)
        #expect(e.riskReward == 2)
        #expect(e.analysis.trend == .strongDown)
    }

    @Test func lowConfidenceIsNeutral() throws {
        // S = (1 + 0.25) / 4.5 = 0.2778 < 0.3.
        let e = try #require(combine(1, 0.25, 0, 0, 0))
        #expect(e.direction == .flat && e.reason == .lowConfidence)
        #expect(e.confidence == 1.25 / 4.5)
        #expect(e.stopLoss == 0 && e.takeProfit == 0 && e.riskReward == 0 && e.stopDistanceFraction == 0)
        #expect(e.atrFraction == 0.02)  // the risk assessment's ATR is still there
        // Exactly at the threshold is enough: (1 + 0.35) / 4.5 = 0.3.
        var c = StrategyConfiguration()
        c.combiner.minConfidence = 1.35 / 4.5
        #expect(combine(1, 0.35, 0, 0, 0, configuration: c)?.direction == .long)
    }

    @Test func disagreementIsNeutral() throws {
        // Bullish 1 + 1 + 1 = 3, bearish 0.5·1 + 0.5 (trend) = 1: S = 2/4.5 = 0.444, agreement
        // (3 − 1)/(3 + 1) = 0.5: enough by default, not with 0.6.
        let e = try #require(combine(1, 1, 1, -0.5, -1))
        #expect(e.agreement == 0.5)
        #expect(e.direction == .flat && e.reason == .counterTrend)  // agreement passes; t = −0.5 vetoes the Long
        var c = StrategyConfiguration()
        c.combiner.minAgreement = 0.6
        let strict = try #require(combine(1, 1, 1, -0.5, -1, configuration: c))
        #expect(strict.direction == .flat && strict.reason == .conflict)
        #expect(strict.score == 2.0 / 4.5)
    }

    @Test func counterTrendVeto() throws {
        // A Long with the 4h trend at −0.3 (down): vetoed; at −0.2 (sideways): allowed.
        #expect(combine(1, 1, 1, -0.3, 0)?.reason == .counterTrend)
        #expect(combine(1, 1, 1, -0.25, 0)?.reason == .counterTrend)  // the veto level itself vetoes
        #expect(combine(1, 1, 1, -0.2, 0)?.direction == .long)
        #expect(combine(-1, -1, -1, 0.3, 0)?.reason == .counterTrend)
        var c = StrategyConfiguration()
        c.combiner.counterTrendVeto = nil
        #expect(combine(1, 1, 1, -0.3, 0, configuration: c)?.direction == .long)
        // The trend disabled: no veto, and the other weights alone: S = 3/3.5.
        c = StrategyConfiguration()
        c.enabled.remove(.trend)
        let e = try #require(combine(1, 1, 1, nil, 0, configuration: c))
        #expect(e.direction == .long && e.score == 3.0 / 3.5 && e.analysis.trend == .unknown)
    }

    @Test func noOpinionAndNoRange() throws {
        #expect(combine(0, 0, 0, 0, 0)?.reason == .noOpinion)
        #expect(combine(1, -1, 0, 0, 0)?.reason == .noOpinion)  // exactly balanced: S = 0, agreement 0
        #expect(combine(1, -1, 0, 0, 0)?.agreement == 0)
        let flat = try #require(combine(1, 1, 1, 1, 1, atr: 0))
        #expect(flat.direction == .flat && flat.reason == .noRange)
    }

    @Test func warmUpGivesNoSignal() {
        #expect(combine(nil, 1, 1, 1, 1) == nil)  // an enabled strategy without a score
        #expect(combine(1, 1, 1, nil, 1) == nil)
        #expect(combine(1, 1, 1, 1, 1, atrReady: false) == nil)  // no ATR: no levels
        var c = StrategyConfiguration()
        c.enabled.remove(.rsi)
        #expect(combine(nil, 1, 1, 1, 1, configuration: c) != nil)  // a disabled one does not matter
        c = StrategyConfiguration()
        c.combiner.weights.volume = 0
        #expect(combine(1, 1, 1, 1, nil, configuration: c) == nil)  // enabled with weight 0 still warms up
        #expect(combine(1, 1, 1, 1, -1, configuration: c)?.score == 1)  // …but does not count
    }

    @Test func weightsAreRelative() throws {
        var c = StrategyConfiguration()
        c.combiner.weights = StrategyWeights()
        c.combiner.weights.rsi = 3
        c.combiner.weights.volume = 0
        // (3·1 + 1·(−0.5) + 0 + 0) / 6 = 2.5/6; bull 3, bear 0.5: agreement 2.5/3.5.
        let e = try #require(combine(1, -0.5, 0, 0, 0.9, configuration: c))
        #expect(e.score == 2.5 / 6 && e.agreement == 2.5 / 3.5 && e.direction == .long)
    }

    @Test func analysisThresholds() throws {
        #expect(combine(0, 0, 0, 0.8, 0)?.analysis.trend == .strongUp)
        #expect(combine(0, 0, 0, 0.75, 0)?.analysis.trend == .strongUp)
        #expect(combine(0, 0, 0, 0.1, 0)?.analysis.trend == .sideways)
        #expect(combine(0, 0, 0, -0.25, 0)?.analysis.trend == .down)
        #expect(combine(0, 0, 0, 0, 0, atr: 0.05)?.analysis.volatility == .low)  // 0.05 %
        #expect(combine(0, 0, 0, 0, 0, atr: 0.1)?.analysis.volatility == .normal)  // 0.1 %: the boundary is normal
        #expect(combine(0, 0, 0, 0, 0, atr: 0.5)?.analysis.volatility == .high)
        #expect(combine(0, 0, 0, 0, 0, atr: 0.6)?.analysis.volatility == .extreme)
    }

    // MARK: The Signal message

    @Test func signalMessage() throws {
        let e = try #require(combine(0.5, 0.75, 0, 0.5, 0.5))
        let s = e.signal(symbol: SymbolID(3), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 11,
                         signalID: 7, eventTimeMs: 1_300)
        #expect(s.symbol == SymbolID(3) && s.interval == .m5 && s.ingressNs == 11 && s.signalID == 7)
        #expect(s.eventTimeMs == 1_300 && s.candleOpenTimeMs == 1_000)
        #expect(s.direction == .long && s.reason == .confirmed)
        #expect(s.scoreBp == 4444 && s.confidenceBp == 4444 && s.agreementBp == 10_000)
        #expect(s.entryPrice.raw == 1000 && s.stopLoss.raw == 970 && s.takeProfit.raw == 1060)
        #expect(s.riskRewardBp == 20_000 && s.atrPpm == 20_000 && s.stopDistancePpm == 30_000)
        #expect(s.analysis == e.analysis)
        #expect(s.strategies.present == 0b1_1111)
        #expect(s.strategies.scoreBp(StrategySlot.macd.rawValue) == 7500)
        #expect(s.strategies.reasonCode(StrategySlot.macd.rawValue) == StrategyReason.macdAboveSignal.rawValue)
        #expect(s.strategies.scoreBp(StrategySlot.volume.rawValue) == 5000)
        #expect(!s.strategies.isPresent(StrategySlot.model1.rawValue))
    }

    /// Levels go onto the price grid on the safe side: the stop no nearer, the target no further.
    @Test func signalRoundsLevelsOutward() throws {
        let long = try #require(combine(1, 1, 1, 1, 1, atr: 0.33))  // SL 99.505, TP 100.99
        let l = long.signal(symbol: SymbolID(0), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 0,
                            signalID: 1, eventTimeMs: 0)
        #expect(l.stopLoss.raw == 995 && l.takeProfit.raw == 1009)
        #expect(l.riskRewardBp == 18_000)  // 9 ticks of reward for 5 of risk, from the message's own levels
        #expect(l.stopDistancePpm == 5_000)
        let short = try #require(combine(-1, -1, -1, -1, -1, atr: 0.33))  // SL 100.495, TP 99.01
        let s = short.signal(symbol: SymbolID(0), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 0,
                             signalID: 2, eventTimeMs: 0)
        #expect(s.stopLoss.raw == 1005 && s.takeProfit.raw == 991 && s.riskRewardBp == 18_000)
        let neutral = try #require(combine(1, 0, 0, 0, 0))
        let n = neutral.signal(symbol: SymbolID(0), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 0,
                               signalID: 3, eventTimeMs: 0)
        #expect(n.direction == .flat && n.entryPrice.raw == 1000 && n.stopLoss == .zero && n.takeProfit == .zero)
        #expect(n.riskRewardBp == 0 && n.stopDistancePpm == 0 && n.atrPpm == 20_000)
        #expect(n.reason == .lowConfidence)
    }

    @Test func rendering() throws {
        let e = try #require(combine(0.5, 0.75, 0, 0.5, 0.5))
        let s = e.signal(symbol: SymbolID(0), interval: .m5, priceScale: DecimalScale(places: 1), ingressNs: 0,
                         signalID: 1, eventTimeMs: 0)
        let text = s.rendered(priceScale: DecimalScale(places: 1))
        #expect(text.hasPrefix("long 5m conf 0.4444 score +0.4444 agree 1.0000 entry 100.0 SL 97.0 TP 106.0 RR 2.0000"),
                "\(text)")
        #expect(text.contains("| ATR 2.0000% stop 3.0000% | trend up, volatility extreme, volume high | confirmed"),
                "\(text)")
        #expect(text.contains("rsi +0.5000 rsiOversold, macd +0.7500 macdAboveSignal, bollinger +0.0000 insideBands"),
                "\(text)")
        #expect(Signal.decimal(-5, places: 4) == "-0.0005")
        for reason in StrategyReason.allCases { #expect(!reason.name.isEmpty) }
    }

    /// Everything an evaluation touches is a plain value: no references, so nothing to allocate,
    /// retain or release per candle.
    @Test func valuesAreBitwiseCopyable() {
        func plain<T: BitwiseCopyable>(_: T.Type) -> Bool { true }
        #expect(plain(StrategyInput.self) && plain(StrategyConfiguration.self) && plain(SignalEvaluation.self))
        #expect(plain(StrategyScores.self) && plain(Signal.self) && plain(StrategyEvaluator.self))
        #expect(MemoryLayout<Signal>.size == 128)
    }
}
