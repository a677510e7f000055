import TicklineCore
import TicklineIndicators

/// MACD crossover: the MACD line crossing its signal line (the histogram changing sign) starts a
/// move; while it stays on one side the histogram's size is the momentum.
///
///     m = clamp(histogram / (atrScale · ATR), −1, 1)        (the histogram in ATRs)
///     previous histogram ≤ 0 < histogram:   +(0.5 + 0.5 · |m|)   macdBullishCross
///     previous histogram ≥ 0 > histogram:   −(0.5 + 0.5 · |m|)   macdBearishCross
///     otherwise:                            0.5 · m              macdAboveSignal / macdBelowSignal / macdFlat
///     ATR = 0:                              0                    macdNoRange
///
/// A cross scores at least ±0.5; a continuation at most ±0.5. Dividing by the ATR makes the
/// momentum independent of the price level. Reads the trading interval's MACD (12, 26, 9) and
/// ATR (14) on `current` and the MACD on `previous`; no score until all three are ready.
@frozen
public struct MACDCrossover: Sendable, BitwiseCopyable, Equatable {
    /// Histogram, in ATRs, at which the momentum is full. Default 0.5.
    public var atrScale = 0.5

    @inlinable public init() {}

    @inlinable
    public func score(_ input: StrategyInput) -> StrategyScore? {
        let c = input.current
        guard c.ready.contains(.macd), c.ready.contains(.atr), let p = input.previous, p.ready.contains(.macd)
        else { return nil }
        let atr = c.values.atr
        guard atr > 0 else { return StrategyScore(0, .macdNoRange) }
        let hist = c.values.macdHistogram, previousHist = p.values.macdHistogram
        let m = clamp(hist / (atrScale * atr), -1, 1)
        if previousHist <= 0 && hist > 0 { return StrategyScore(0.5 + 0.5 * abs(m), .macdBullishCross) }
        if previousHist >= 0 && hist < 0 { return StrategyScore(-(0.5 + 0.5 * abs(m)), .macdBearishCross) }
        if hist > 0 { return StrategyScore(0.5 * m, .macdAboveSignal) }
        if hist < 0 { return StrategyScore(0.5 * m, .macdBelowSignal) }
        return StrategyScore(0, .macdFlat)
    }

    public var problem: String? { atrScale.isFinite && atrScale > 0 ? nil : "macd atr scale must be > 0" }
}
