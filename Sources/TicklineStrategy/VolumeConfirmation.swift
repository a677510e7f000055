import TicklineCore
import TicklineIndicators

/// Volume confirmation: a candle traded on heavy volume confirms the direction it moved in.
///
///     r = volume / SMA(volume)                       (the bank's volume ratio)
///     r < confirmRatio:      0                                             volumeUnconfirmed
///     strength = 0.5 + 0.5 · min(1, (r − confirmRatio) / (fullRatio − confirmRatio))
///     close > previous close:  +strength                                   volumeConfirmsUp
///     close < previous close:  −strength                                   volumeConfirmsDown
///     equal closes:            0                                           volumeNoDirection
///
/// Reads the trading interval's volume ratio (SMA 20) on `current` and the close of `previous`;
/// no score until both exist.
@frozen
public struct VolumeConfirmation: Sendable, BitwiseCopyable, Equatable {
    /// Volume ratio from which a candle confirms its move (score ±0.5). Default 1.5.
    public var confirmRatio = 1.5
    /// Volume ratio at which the confirmation is full (score ±1). Default 3.
    public var fullRatio = 3.0

    @inlinable public init() {}

    @inlinable
    public func score(_ input: StrategyInput) -> StrategyScore? {
        let c = input.current
        guard c.ready.contains(.volume), let p = input.previous else { return nil }
        let r = c.values.volumeRatio
        guard r >= confirmRatio else { return StrategyScore(0, .volumeUnconfirmed) }
        let strength = 0.5 + 0.5 * min(1.0, (r - confirmRatio) / (fullRatio - confirmRatio))
        if c.close > p.close { return StrategyScore(strength, .volumeConfirmsUp) }
        if c.close < p.close { return StrategyScore(-strength, .volumeConfirmsDown) }
        return StrategyScore(0, .volumeNoDirection)
    }

    public var problem: String? {
        guard confirmRatio.isFinite, fullRatio.isFinite, 0 <= confirmRatio, confirmRatio < fullRatio else {
            return "volume ratios must satisfy 0 ≤ confirm (\(confirmRatio)) < full (\(fullRatio))"
        }
        return nil
    }
}
