import TicklineCore
import TicklineIndicators

/// RSI mean reversion: an oversold market tends to bounce (long), an overbought one to fall back
/// (short); in between the RSI says nothing.
///
///     rsi ≤ oversold:    +(0.5 + 0.5 · min(1, (oversold − rsi) / fullScale))   rsiOversold
///     rsi ≥ overbought:  −(0.5 + 0.5 · min(1, (rsi − overbought) / fullScale)) rsiOverbought
///     otherwise:         0                                                    rsiNeutral
///
/// So the score is ±0.5 at the threshold and ±1 `fullScale` RSI points beyond it (RSI 10 or 90
/// with the defaults). Reads the trading interval's RSI (`IndicatorConfiguration.rsiPeriod`, 14);
/// no score until it is ready.
@frozen
public struct RSIMeanReversion: Sendable, BitwiseCopyable, Equatable {
    /// RSI at or below which the market is oversold. Default 30.
    public var oversold = 30.0
    /// RSI at or above which the market is overbought. Default 70.
    public var overbought = 70.0
    /// RSI points beyond a threshold where the score reaches ±1. Default 20.
    public var fullScale = 20.0

    @inlinable public init() {}

    @inlinable
    public func score(_ input: StrategyInput) -> StrategyScore? {
        guard input.current.ready.contains(.rsi) else { return nil }
        let rsi = input.current.values.rsi
        if rsi <= oversold { return StrategyScore(0.5 + 0.5 * min(1.0, (oversold - rsi) / fullScale), .rsiOversold) }
        if rsi >= overbought {
            return StrategyScore(-(0.5 + 0.5 * min(1.0, (rsi - overbought) / fullScale)), .rsiOverbought)
        }
        return StrategyScore(0, .rsiNeutral)
    }

    public var problem: String? {
        guard oversold.isFinite, overbought.isFinite, fullScale.isFinite else { return "rsi thresholds must be finite" }
        guard 0 <= oversold, oversold < overbought, overbought <= 100 else {
            return "rsi thresholds must satisfy 0 ≤ oversold (\(oversold)) < overbought (\(overbought)) ≤ 100"
        }
        return fullScale > 0 ? nil : "rsi full scale must be > 0"
    }
}
