/// The periods of every indicator an `IndicatorBank` keeps. The defaults are the usual ones
/// (and TA-Lib's, except Stochastic's %K, whose TA-Lib default is 5).
@frozen
public struct IndicatorConfiguration: Sendable, BitwiseCopyable, Equatable {
    public var smaPeriod = 20
    public var emaPeriod = 20
    public var rsiPeriod = 14
    public var macdFast = 12
    public var macdSlow = 26
    public var macdSignal = 9
    public var bollingerPeriod = 20
    public var bollingerDeviations = 2.0
    public var atrPeriod = 14
    public var stochasticFastK = 14
    public var stochasticSlowK = 3
    public var stochasticSlowD = 3
    public var volumePeriod = 20
    public var adxPeriod = 14
    /// VWAP session length, epoch-aligned (a UTC day).
    public var vwapSessionMs: Int64 = 86_400_000

    @inlinable public init() {}

    public static let standard = IndicatorConfiguration()

    /// The problem with these periods, or nil: every period ≥ 1, MACD fast < slow, finite
    /// deviations, a positive session. Callers check this at start-up (configuration errors);
    /// the indicators' own initialisers trap on the same conditions.
    public var problem: String? {
        let periods: [(String, Int)] = [
            ("sma", smaPeriod), ("ema", emaPeriod), ("rsi", rsiPeriod), ("macd fast", macdFast),
            ("macd slow", macdSlow), ("macd signal", macdSignal), ("bollinger", bollingerPeriod),
            ("atr", atrPeriod), ("stochastic %K", stochasticFastK), ("stochastic slow %K", stochasticSlowK),
            ("stochastic %D", stochasticSlowD), ("volume", volumePeriod), ("adx", adxPeriod),
        ]
        for (name, period) in periods where period < 1 || period > 100_000 {
            return "\(name) period must be in 1...100000, not \(period)"
        }
        if macdFast >= macdSlow { return "macd fast period (\(macdFast)) must be below the slow one (\(macdSlow))" }
        if !bollingerDeviations.isFinite || bollingerDeviations < 0 { return "bollinger deviations must be ≥ 0" }
        if vwapSessionMs <= 0 { return "vwap session must be > 0 ms" }
        return nil
    }
}
