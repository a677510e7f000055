import Testing
import TicklineCore
import TicklineIndicators
@testable import TicklineStrategy

/// Each rule strategy on hand-worked inputs: thresholds, the ramp to ±1, edge cases, and warm-up
/// (no score while an indicator it reads is not ready). Inputs are chosen so the arithmetic is
/// exact in binary floating point, so results are compared with `==`.
@Suite struct StrategyTests {
    // MARK: RSI mean reversion

    func rsi(_ value: Double, _ strategy: RSIMeanReversion = RSIMeanReversion()) -> StrategyScore? {
        strategy.score(StrategyInput(current: snapshot(close: 100, [.rsi]) { $0.rsi = value }))
    }

    @Test func rsiThresholdsAndRamp() {
        #expect(rsi(50) == StrategyScore(0, .rsiNeutral))
        #expect(rsi(30.5) == StrategyScore(0, .rsiNeutral))
        #expect(rsi(30) == StrategyScore(0.5, .rsiOversold))  // at the threshold: 0.5
        #expect(rsi(20) == StrategyScore(0.75, .rsiOversold))  // 10 of 20 points beyond: 0.5 + 0.25
        #expect(rsi(10) == StrategyScore(1, .rsiOversold))
        #expect(rsi(0) == StrategyScore(1, .rsiOversold))  // clamped
        #expect(rsi(70) == StrategyScore(-0.5, .rsiOverbought))
        #expect(rsi(80) == StrategyScore(-0.75, .rsiOverbought))
        #expect(rsi(100) == StrategyScore(-1, .rsiOverbought))
        var tight = RSIMeanReversion()
        (tight.oversold, tight.overbought, tight.fullScale) = (20, 80, 10)
        #expect(rsi(25, tight) == StrategyScore(0, .rsiNeutral))
        #expect(rsi(15, tight) == StrategyScore(0.75, .rsiOversold))
    }

    @Test func rsiWarmUp() {
        #expect(RSIMeanReversion().score(StrategyInput(current: snapshot(close: 100, [.sma, .ema]) { $0.rsi = 10 })) == nil)
    }

    // MARK: MACD crossover

    /// ATR 10, so the histogram at full momentum (0.5 ATR) is 5.
    func macd(_ hist: Double, previous: Double?, atr: Double = 10, ready: IndicatorSet = [.macd, .atr])
        -> StrategyScore? {
        let current = snapshot(close: 100, ready) { $0.macdHistogram = hist; $0.atr = atr }
        let prev = previous.map { p in snapshot(close: 100, [.macd]) { $0.macdHistogram = p } }
        return MACDCrossover().score(StrategyInput(current: current, previous: prev))
    }

    @Test func macdCrossesAndContinuations() {
        #expect(macd(2, previous: -1) == StrategyScore(0.7, .macdBullishCross))  // m = 2/5 = 0.4
        #expect(macd(-2, previous: 1) == StrategyScore(-0.7, .macdBearishCross))
        #expect(macd(20, previous: -1) == StrategyScore(1, .macdBullishCross))  // m clamped to 1
        #expect(macd(0.5, previous: 0) == StrategyScore(0.55, .macdBullishCross))  // from exactly 0 counts
        #expect(macd(-0.5, previous: 0) == StrategyScore(-0.55, .macdBearishCross))
        #expect(macd(1, previous: 0.5) == StrategyScore(0.1, .macdAboveSignal))  // 0.5 · 0.2
        #expect(macd(-2.5, previous: -1) == StrategyScore(-0.25, .macdBelowSignal))
        #expect(macd(50, previous: 40) == StrategyScore(0.5, .macdAboveSignal))  // a continuation tops out at 0.5
        #expect(macd(0, previous: 1) == StrategyScore(0, .macdFlat))
        #expect(macd(0, previous: 0) == StrategyScore(0, .macdFlat))
        #expect(macd(3, previous: -1, atr: 0) == StrategyScore(0, .macdNoRange))
    }

    @Test func macdWarmUp() {
        #expect(macd(2, previous: nil) == nil)  // first candle: no crossover can be seen
        #expect(macd(2, previous: -1, ready: [.macd]) == nil)  // ATR not ready
        #expect(macd(2, previous: -1, ready: [.atr]) == nil)
        let current = snapshot(close: 100, [.macd, .atr]) { $0.macdHistogram = 2; $0.atr = 10 }
        let previousWithoutMACD = snapshot(close: 100, [.atr])
        #expect(MACDCrossover().score(StrategyInput(current: current, previous: previousWithoutMACD)) == nil)
    }

    // MARK: Bollinger

    /// Bands 90 / 100 / 110.
    func bollinger(close: Double, adx: Double = 30, mode: BollingerStrategy.Mode = .adaptive,
                   ready: IndicatorSet = [.bollinger, .adx], upper: Double = 110) -> StrategyScore? {
        var s = BollingerStrategy()
        s.mode = mode
        let current = snapshot(close: close, ready) {
            $0.bollingerUpper = upper; $0.bollingerMiddle = 100; $0.bollingerLower = 200 - upper; $0.adx = adx
        }
        return s.score(StrategyInput(current: current))
    }

    @Test func bollingerAdaptive() {
        #expect(bollinger(close: 105) == StrategyScore(0, .insideBands))
        #expect(bollinger(close: 91) == StrategyScore(0, .insideBands))
        #expect(bollinger(close: 110) == StrategyScore(0.5, .breakoutUp))  // on the band, trending (ADX 30)
        #expect(bollinger(close: 112.5) == StrategyScore(0.75, .breakoutUp))  // p = 1.25
        #expect(bollinger(close: 130) == StrategyScore(1, .breakoutUp))
        #expect(bollinger(close: 90) == StrategyScore(-0.5, .breakoutDown))
        #expect(bollinger(close: 25, adx: 25) == StrategyScore(-1, .breakoutDown))  // ADX at the level trends
        #expect(bollinger(close: 112.5, adx: 20) == StrategyScore(-0.75, .reversionFromUpper))
        #expect(bollinger(close: 90, adx: 24.9) == StrategyScore(0.5, .reversionFromLower))
        #expect(bollinger(close: 100, upper: 100) == StrategyScore(0, .bandsFlat))
    }

    @Test func bollingerFixedModes() {
        #expect(bollinger(close: 112.5, adx: 10, mode: .breakout, ready: [.bollinger]) == StrategyScore(0.75, .breakoutUp))
        #expect(bollinger(close: 87.5, adx: 60, mode: .reversion) == StrategyScore(0.75, .reversionFromLower))
    }

    @Test func bollingerWarmUp() {
        #expect(bollinger(close: 120, ready: [.adx]) == nil)
        #expect(bollinger(close: 120, ready: [.bollinger]) == nil)  // adaptive needs the ADX
    }

    // MARK: EMA trend filter (4h)

    /// 4h EMA 100, 4h ATR 10.
    func trend(close: Double, atr: Double = 10, higherReady: IndicatorSet? = [.ema, .atr]) -> StrategyScore? {
        let higher = higherReady.map { bits in snapshot(close: 0, bits) { $0.ema = 100; $0.atr = atr } }
        return EMATrendFilter().score(StrategyInput(current: snapshot(close: close), higher: higher))
    }

    @Test func trendDistanceInATRs() {
        #expect(trend(close: 105) == StrategyScore(0.5, .trendUp))
        #expect(trend(close: 102.5) == StrategyScore(0.25, .trendUp))  // the band's edge is a trend
        #expect(trend(close: 102) == StrategyScore(0.2, .trendSideways))
        #expect(trend(close: 100) == StrategyScore(0, .trendSideways))
        #expect(trend(close: 97.5) == StrategyScore(-0.25, .trendDown))
        #expect(trend(close: 150) == StrategyScore(1, .trendUp))
        #expect(trend(close: 20) == StrategyScore(-1, .trendDown))
        #expect(trend(close: 120, atr: 0) == StrategyScore(0, .trendNoRange))
    }

    @Test func trendWarmUp() {
        #expect(trend(close: 120, higherReady: nil) == nil)  // no 4h candle closed yet
        #expect(trend(close: 120, higherReady: [.atr]) == nil)
        #expect(trend(close: 120, higherReady: [.ema]) == nil)
    }

    // MARK: Volume confirmation

    func volume(ratio: Double, close: Double = 101, previousClose: Double? = 100, ready: IndicatorSet = [.volume])
        -> StrategyScore? {
        let current = snapshot(close: close, ready) { $0.volumeRatio = ratio }
        return VolumeConfirmation().score(
            StrategyInput(current: current, previous: previousClose.map { snapshot(close: $0) }))
    }

    @Test func volumeConfirmsTheMove() {
        #expect(volume(ratio: 1) == StrategyScore(0, .volumeUnconfirmed))
        #expect(volume(ratio: 1.49) == StrategyScore(0, .volumeUnconfirmed))
        #expect(volume(ratio: 1.5) == StrategyScore(0.5, .volumeConfirmsUp))
        #expect(volume(ratio: 2.25) == StrategyScore(0.75, .volumeConfirmsUp))
        #expect(volume(ratio: 9) == StrategyScore(1, .volumeConfirmsUp))
        #expect(volume(ratio: 2.25, close: 99) == StrategyScore(-0.75, .volumeConfirmsDown))
        #expect(volume(ratio: 4, close: 100) == StrategyScore(0, .volumeNoDirection))
    }

    @Test func volumeWarmUp() {
        #expect(volume(ratio: 2, previousClose: nil) == nil)
        #expect(volume(ratio: 2, ready: []) == nil)
    }

    // MARK: Every score in [-1, 1]

    @Test func scoresStayInRange() {
        var worst = 0.0
        for rsiValue in stride(from: 0.0, through: 100, by: 0.5) { worst = max(worst, abs(rsi(rsiValue)!.value)) }
        for hist in stride(from: -100.0, through: 100, by: 0.25) {
            for previous in [-1.0, 0, 1] { worst = max(worst, abs(macd(hist, previous: previous)!.value)) }
        }
        for close in stride(from: 1.0, through: 300, by: 0.5) {
            worst = max(worst, abs(bollinger(close: close)!.value), abs(bollinger(close: close, adx: 5)!.value),
                        abs(trend(close: close)!.value))
        }
        for ratio in stride(from: 0.0, through: 20, by: 0.125) { worst = max(worst, abs(volume(ratio: ratio)!.value)) }
        #expect(worst == 1)
    }

    @Test func configurationProblems() {
        #expect(StrategyConfiguration.standard.problem == nil)
        var c = StrategyConfiguration()
        c.rsi.oversold = 80
        #expect(c.problem != nil)
        c = StrategyConfiguration()
        c.combiner.weights.volume = -1
        #expect(c.problem != nil)
        c = StrategyConfiguration()
        c.enabled = [.model1]
        #expect(c.problem == "at least one enabled strategy needs a weight > 0")
        c.combiner.weights.model1 = 1
        #expect(c.problem == nil)
        c = StrategyConfiguration()
        c.volume.fullRatio = 1
        #expect(c.problem != nil)
    }
}
