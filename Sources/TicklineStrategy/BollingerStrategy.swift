import TicklineCore
import TicklineIndicators

/// Bollinger breakout or reversion: a close outside the bands is either a breakout to follow or
/// an overextension to fade. In `adaptive` mode (the default) the ADX decides: a trending market
/// (ADX ≥ `adxTrendLevel`) breaks out, a ranging one reverts.
///
///     p = (close − middle) / (upper − middle)      (±1 on the bands)
///     upper = middle:   0                                             bandsFlat
///     |p| < 1:          0                                             insideBands
///     else strength = min(1, 0.5 + 0.5 · (|p| − 1) / fullScale)
///       breakout:       sign(p) · strength                            breakoutUp / breakoutDown
///       reversion:      −sign(p) · strength                           reversionFromUpper / reversionFromLower
///
/// ±0.5 on a band, ±1 `fullScale` band half-widths beyond it. Reads the trading interval's
/// Bollinger Bands (20, 2σ) and, in adaptive mode, its ADX (14); no score until they are ready.
@frozen
public struct BollingerStrategy: Sendable, BitwiseCopyable, Equatable {
    public enum Mode: UInt8, Sendable, BitwiseCopyable {
        /// ADX ≥ `adxTrendLevel`: breakout; below: reversion.
        case adaptive
        case breakout
        case reversion
    }

    /// Default `.adaptive`.
    public var mode = Mode.adaptive
    /// Band half-widths beyond a band where the score reaches ±1. Default 0.5.
    public var fullScale = 0.5
    /// ADX at or above which the market trends (adaptive mode). Default 25.
    public var adxTrendLevel = 25.0

    @inlinable public init() {}

    @inlinable
    public func score(_ input: StrategyInput) -> StrategyScore? {
        let c = input.current
        guard c.ready.contains(.bollinger), mode != .adaptive || c.ready.contains(.adx) else { return nil }
        let halfWidth = c.values.bollingerUpper - c.values.bollingerMiddle
        guard halfWidth > 0 else { return StrategyScore(0, .bandsFlat) }
        let p = (c.close - c.values.bollingerMiddle) / halfWidth
        guard abs(p) >= 1 else { return StrategyScore(0, .insideBands) }
        let strength = min(1.0, 0.5 + 0.5 * ((abs(p) - 1) / fullScale))
        let breakout = mode == .breakout || (mode == .adaptive && c.values.adx >= adxTrendLevel)
        if breakout { return p > 0 ? StrategyScore(strength, .breakoutUp) : StrategyScore(-strength, .breakoutDown) }
        return p > 0 ? StrategyScore(-strength, .reversionFromUpper) : StrategyScore(strength, .reversionFromLower)
    }

    public var problem: String? {
        guard fullScale.isFinite && fullScale > 0 else { return "bollinger full scale must be > 0" }
        return adxTrendLevel.isFinite && adxTrendLevel >= 0 ? nil : "bollinger adx trend level must be ≥ 0"
    }
}
