import TicklineConfig
import TicklineCore
import TicklineIndicators
import TicklineStrategy

/// What the indicator and signal stages are built from: the intervals the parse stage closes,
/// the trading and trend intervals, the intervals that get provisional values, the indicator
/// periods and the strategies. Made once at start-up from `[strategy]` and `[venue] intervals`
/// (`init(_:subscribed:)`), or directly in tests and benchmarks.
public struct AnalysisConfiguration: Sendable {
    /// Intervals that arrive closed from the parse stage (its `KlineCloser`s), ascending.
    public var subscribed: [Interval]
    /// Intervals whose kline updates get provisional values (a subset of `subscribed`; by
    /// default the trading interval if it is subscribed).
    public var provisional: [Interval]
    public var indicators: IndicatorConfiguration
    /// The rule strategies and the combiner; `strategy.trendInterval` is the trend interval.
    public var strategy: StrategyConfiguration
    public var tradingInterval: Interval
    /// 0: no age check (replay, synthetic time). See `StrategySettings.maxSignalAgeMs`.
    public var maxSignalAgeMs: Int64
    /// How long the signal stage waits, after a trading candle that closes at a trend-interval
    /// boundary, for the trend candle of that boundary (see `SignalStage`). Default 3 s: the
    /// exchange's own close arrives up to ~2 s after the boundary.
    public var trendHoldNs: UInt64 = 3_000_000_000
    /// The periodic signal pass (see `SignalStage`): every this many ms of data time, each
    /// symbol is evaluated on `periodicTradingInterval` with `periodicTrendInterval` as its
    /// trend. 0: off — the default of this initialiser (tests, benchmarks); `[strategy]
    /// periodic_pass_ms` defaults to 60 s.
    public var periodicPassMs: Int64
    public var periodicTradingInterval: Interval
    public var periodicTrendInterval: Interval

    public var trendInterval: Interval { strategy.trendInterval }

    /// A configuration that is not usable, with the reason.
    public struct Problem: Error, CustomStringConvertible {
        public var description: String
    }

    public init(subscribed: [Interval], tradingInterval: Interval = .m5, provisional: [Interval]? = nil,
                indicators: IndicatorConfiguration = .standard, strategy: StrategyConfiguration = .standard,
                maxSignalAgeMs: Int64 = 0, periodicPassMs: Int64 = 0,
                periodicIntervals: (trading: Interval, trend: Interval) = (.h1, .h4)) {
        self.subscribed = Array(Set(subscribed)).sorted()
        self.tradingInterval = tradingInterval
        var provisional = provisional ?? (subscribed.contains(tradingInterval) ? [tradingInterval] : [])
        // With the periodic pass on, its trading interval's candle in progress gets provisional
        // values too (when subscribed: kline updates come only for subscribed intervals).
        if periodicPassMs > 0 && subscribed.contains(periodicIntervals.trading) && !provisional.contains(periodicIntervals.trading) {
            provisional.append(periodicIntervals.trading)
        }
        self.provisional = provisional.sorted()
        self.periodicPassMs = periodicPassMs
        self.periodicTradingInterval = periodicIntervals.trading
        self.periodicTrendInterval = periodicIntervals.trend
        self.indicators = indicators
        self.strategy = strategy
        self.maxSignalAgeMs = maxSignalAgeMs
    }

    /// From `[strategy]`, for a parse stage that closes `subscribed`.
    public init(_ s: StrategySettings, subscribed: [Interval]) throws(Problem) {
        var indicators = IndicatorConfiguration()
        let p = s.indicators
        indicators.smaPeriod = p.sma
        indicators.emaPeriod = p.ema
        indicators.rsiPeriod = p.rsi
        indicators.macdFast = p.macdFast
        indicators.macdSlow = p.macdSlow
        indicators.macdSignal = p.macdSignal
        indicators.bollingerPeriod = p.bollinger
        indicators.bollingerDeviations = p.bollingerDeviations
        indicators.atrPeriod = p.atr
        indicators.stochasticFastK = p.stochasticK
        indicators.stochasticSlowK = p.stochasticSlowK
        indicators.stochasticSlowD = p.stochasticD
        indicators.volumePeriod = p.volume
        indicators.adxPeriod = p.adx
        indicators.vwapSessionMs = p.vwapSessionMs

        var c = StrategyConfiguration()
        c.trendInterval = s.trendInterval
        c.rsi.oversold = s.rsi.oversold
        c.rsi.overbought = s.rsi.overbought
        c.rsi.fullScale = s.rsi.fullScale
        c.macd.atrScale = s.macd.atrScale
        switch s.bollinger.mode {
        case .adaptive: c.bollinger.mode = .adaptive
        case .breakout: c.bollinger.mode = .breakout
        case .reversion: c.bollinger.mode = .reversion
        }
        c.bollinger.fullScale = s.bollinger.fullScale
        c.bollinger.adxTrendLevel = s.bollinger.adxTrendLevel
        c.trend.atrScale = s.trend.atrScale
        c.trend.sidewaysBand = s.trend.sidewaysBand
        c.trend.strongLevel = s.trend.strongLevel
        c.volume.confirmRatio = s.volume.confirmRatio
        c.volume.fullRatio = s.volume.fullRatio
        var enabled: StrategySlots = []
        if s.rsi.enabled { enabled.insert(.rsi) }
        if s.macd.enabled { enabled.insert(.macd) }
        if s.bollinger.enabled { enabled.insert(.bollinger) }
        if s.trend.enabled { enabled.insert(.trend) }
        if s.volume.enabled { enabled.insert(.volume) }
        c.enabled = enabled
        c.combiner.weights.rsi = s.rsi.weight
        c.combiner.weights.macd = s.macd.weight
        c.combiner.weights.bollinger = s.bollinger.weight
        c.combiner.weights.trend = s.trend.weight
        c.combiner.weights.volume = s.volume.weight
        c.combiner.minConfidence = s.combiner.minConfidence
        c.combiner.minAgreement = s.combiner.minAgreement
        c.combiner.counterTrendVeto = s.combiner.counterTrendVeto
        c.combiner.stopATR = s.combiner.stopATR
        c.combiner.takeProfitATR = s.combiner.takeProfitATR
        c.combiner.lowVolatility = s.combiner.volatilityLow
        c.combiner.highVolatility = s.combiner.volatilityHigh
        c.combiner.extremeVolatility = s.combiner.volatilityExtreme
        c.combiner.lowVolumeRatio = s.combiner.lowVolumeRatio

        self.init(subscribed: subscribed, tradingInterval: s.tradingInterval, provisional: s.provisionalIntervals(subscribed: subscribed),
                  indicators: indicators, strategy: c, maxSignalAgeMs: s.maxSignalAgeMs, periodicPassMs: s.periodicPassMs,
                  periodicIntervals: s.periodicIntervals.count == 2 ? (s.periodicIntervals[0], s.periodicIntervals[1]) : (.h1, .h4))
        if let problem { throw Problem(description: problem) }
    }

    /// What is wrong, or nil: the indicator and strategy checks, and the intervals (trend a
    /// multiple of trading; each strategy interval subscribed or buildable from the smallest
    /// subscribed one; provisional intervals subscribed).
    public var problem: String? {
        if let p = indicators.problem { return "indicators: \(p)" }
        if let p = strategy.problem { return "strategy: \(p)" }
        guard let smallest = subscribed.first else { return "no subscribed interval" }
        let trend = strategy.trendInterval
        if trend <= tradingInterval || trend.durationMs % tradingInterval.durationMs != 0 || trend == .w1 {
            return "trend interval \(trend.name) must be a multiple of the trading interval \(tradingInterval.name), not 1w"
        }
        for i in [tradingInterval, trend] where !subscribed.contains(i) {
            if i <= smallest || i.durationMs % smallest.durationMs != 0 || i == .w1 {
                return "\(i.name) is neither subscribed nor buildable from \(smallest.name) candles"
            }
        }
        for i in provisional where !subscribed.contains(i) {
            return "provisional interval \(i.name) is not subscribed"
        }
        if periodicPassMs < 0 { return "periodic pass \(periodicPassMs) ms must not be negative" }
        if periodicPassMs > 0 {
            let (a, b) = (periodicTradingInterval, periodicTrendInterval)
            if b <= a || b.durationMs % a.durationMs != 0 || b == .w1 {
                return "periodic trend interval \(b.name) must be a multiple of the periodic trading interval \(a.name), not 1w"
            }
            for i in [a, b] where !subscribed.contains(i) {
                if i <= smallest || i.durationMs % smallest.durationMs != 0 || i == .w1 {
                    return "periodic interval \(i.name) is neither subscribed nor buildable from \(smallest.name) candles"
                }
            }
        }
        return nil
    }

    /// Every interval the indicator stage keeps banks for, ascending: the subscribed ones and the
    /// strategy intervals built from the smallest subscribed one.
    public var tracked: [Interval] {
        Array(Set(subscribed + [tradingInterval, trendInterval]
                  + (periodicPassMs > 0 ? [periodicTradingInterval, periodicTrendInterval] : []))).sorted()
    }

    /// The periodic pass's `StrategyConfiguration`: the strategies and combiner of `strategy`,
    /// with `periodicTrendInterval` as the trend.
    public var periodicStrategy: StrategyConfiguration {
        var c = strategy
        c.trendInterval = periodicTrendInterval
        return c
    }

    /// The strategy intervals that are not subscribed (built by `CandleAggregator`), ascending.
    public var derived: [Interval] { tracked.filter { !subscribed.contains($0) } }
}
