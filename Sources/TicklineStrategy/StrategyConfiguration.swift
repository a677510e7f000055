import TicklineCore
import TicklineIndicators

/// Every parameter of the rule strategies and the combiner, with defaults that are the documented
/// behaviour (scripts/strategy_reference.py repeats them). A plain value: validate it with
/// `problem` at start-up, then hand it to a `StrategyEvaluator`.
///
/// Defaults, in one place (each type's doc comment has the formulas):
///
/// | part | parameter | default |
/// |---|---|---|
/// | RSI mean reversion | oversold / overbought / full scale | 30 / 70 / 20 RSI points |
/// | MACD crossover | histogram at full momentum | 0.5 ATR |
/// | Bollinger | mode / full scale / ADX trend level | adaptive / 0.5 half-width / 25 |
/// | EMA trend (4h) | full score at / sideways band / strong | 1 ATR₄ₕ from the EMA / 0.25 / 0.75 |
/// | volume | confirm / full ratio | 1.5 / 3 × its SMA |
/// | weights | rsi, macd, bollinger, trend, volume; models, advisor | 1, 1, 1, 1, 0.5; 0 |
/// | combiner | min confidence / min agreement / counter-trend veto | 0.3 / 0.5 / 0.25 |
/// | levels | stop / take profit | 1.5 / 3 ATR from the entry (risk-reward 2) |
/// | analysis | volatility low / high / extreme (ATR ÷ price) | 0.1 % / 0.3 % / 0.6 % |
/// | analysis | low volume ratio | 0.5 |
///
/// The volatility thresholds suit 5m candles of major perpetuals; scale them with the trading
/// interval (ATR grows about with the square root of the candle length).
@frozen
public struct StrategyConfiguration: Sendable, BitwiseCopyable, Equatable {
    public var rsi = RSIMeanReversion()
    public var macd = MACDCrossover()
    public var bollinger = BollingerStrategy()
    public var trend = EMATrendFilter()
    public var volume = VolumeConfirmation()
    /// Slots that score. A disabled slot gives no score and is left out of the combination; an
    /// enabled one with weight 0 still has to warm up and (the trend) still filters. Default: the
    /// five rule strategies.
    public var enabled: StrategySlots = .rules
    public var combiner = SignalCombiner()
    /// The interval the trend filter reads (`StrategyInput.higher`). Default 4h.
    public var trendInterval: Interval = .h4

    @inlinable public init() {}

    public static let standard = StrategyConfiguration()

    /// The scores of the enabled rule strategies (model and advisor slots stay nil: their stages
    /// fill them before `combiner.combine`).
    @inlinable
    public func scores(_ input: StrategyInput) -> StrategyScores {
        var s = StrategyScores()
        if enabled.contains(.rsi) { s.rsi = rsi.score(input) }
        if enabled.contains(.macd) { s.macd = macd.score(input) }
        if enabled.contains(.bollinger) { s.bollinger = bollinger.score(input) }
        if enabled.contains(.trend) { s.trend = trend.score(input) }
        if enabled.contains(.volume) { s.volume = volume.score(input) }
        return s
    }

    /// The rule strategies and the combiner: nil while anything enabled is warming up.
    @inlinable
    public func evaluate(_ input: StrategyInput) -> SignalEvaluation? {
        combiner.combine(scores(input), input: input, configuration: self)
    }

    /// What is wrong with these settings, or nil. Start-up checks this (a configuration error);
    /// evaluation assumes it is nil.
    public var problem: String? {
        if let p = rsi.problem ?? macd.problem ?? bollinger.problem ?? trend.problem ?? volume.problem { return p }
        if let p = combiner.problem { return p }
        var total = 0.0
        for i in 0..<StrategyScoresBp.count where enabled.contains(StrategySlot(rawValue: i)!) {
            total += combiner.weights[StrategySlot(rawValue: i)!]
        }
        return total > 0 ? nil : "at least one enabled strategy needs a weight > 0"
    }
}

/// The weight of each slot in the combination (any scale: the combiner divides by the sum of
/// the enabled slots' weights). Defaults: 1 for the four indicator rules, 0.5 for volume
/// confirmation, 0 for the model and advisor slots until they exist.
public typealias StrategyWeights = StrategySlotValues<Double>

extension StrategySlotValues where Value == Double {
    @inlinable
    public init() {
        self.init(rsi: 1, macd: 1, bollinger: 1, trend: 1, volume: 0.5, model1: 0, model2: 0, advisor: 0)
    }
}
