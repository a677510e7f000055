import TicklineCore
import TicklineIndicators

/// EMA trend filter on the trend interval (4h): where the price is against the 4h EMA, measured
/// in 4h ATRs.
///
///     t = clamp((close − EMA₄ₕ) / (atrScale · ATR₄ₕ), −1, 1)    (close: the trading candle's)
///     t ≥ sidewaysBand:   t   trendUp
///     t ≤ −sidewaysBand:  t   trendDown
///     otherwise:          t   trendSideways
///     ATR₄ₕ = 0:          0   trendNoRange
///
/// Besides its weighted score, the combiner uses `t` as a filter (`SignalCombiner
/// .counterTrendVeto`: no Long in a down trend, no Short in an up trend) and for the signal's
/// `MarketTrend` (strong beyond `strongLevel`). Reads the 4h EMA (`IndicatorConfiguration
/// .emaPeriod` of the 4h bank, 20) and ATR (14) from `higher`; no score until they are ready.
@frozen
public struct EMATrendFilter: Sendable, BitwiseCopyable, Equatable {
    /// 4h ATRs from the EMA at which the trend score is full. Default 1.
    public var atrScale = 1.0
    /// |t| below this is sideways. Default 0.25.
    public var sidewaysBand = 0.25
    /// |t| at or above this is a strong trend (`MarketTrend.strongUp`/`.strongDown`). Default 0.75.
    public var strongLevel = 0.75

    @inlinable public init() {}

    @inlinable
    public func score(_ input: StrategyInput) -> StrategyScore? {
        guard let h = input.higher, h.ready.contains(.ema), h.ready.contains(.atr) else { return nil }
        guard h.values.atr > 0 else { return StrategyScore(0, .trendNoRange) }
        let t = clamp((input.current.close - h.values.ema) / (atrScale * h.values.atr), -1, 1)
        if t >= sidewaysBand { return StrategyScore(t, .trendUp) }
        if t <= -sidewaysBand { return StrategyScore(t, .trendDown) }
        return StrategyScore(t, .trendSideways)
    }

    public var problem: String? {
        guard atrScale.isFinite && atrScale > 0 else { return "trend atr scale must be > 0" }
        guard sidewaysBand.isFinite, strongLevel.isFinite, 0 <= sidewaysBand, sidewaysBand <= strongLevel,
              strongLevel <= 1 else {
            return "trend levels must satisfy 0 ≤ sideways band (\(sidewaysBand)) ≤ strong level (\(strongLevel)) ≤ 1"
        }
        return nil
    }
}
