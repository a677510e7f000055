import TicklineCore

/// The indicator values for one candle and which of them are warmed up.
@frozen
public struct IndicatorSnapshot: Sendable, BitwiseCopyable, Equatable {
    public var openTimeMs: Int64
    public var close: Double
    public var ready: IndicatorSet
    /// Each value is meaningful only when its bit is in `ready` (otherwise 0).
    public var values: IndicatorUpdate.Values

    @inlinable
    public init(openTimeMs: Int64, close: Double, ready: IndicatorSet = [], values: IndicatorUpdate.Values = .init()) {
        self.openTimeMs = openTimeMs
        self.close = close
        self.ready = ready
        self.values = values
    }
}

extension IndicatorUpdate.Values {
    @inlinable
    mutating func setMACD(_ v: MACD.Value) {
        macd = v.macd
        macdSignal = v.signal
        macdHistogram = v.histogram
    }

    @inlinable
    mutating func setBollinger(_ v: BollingerBands.Value) {
        bollingerUpper = v.upper
        bollingerMiddle = v.middle
        bollingerLower = v.lower
    }

    @inlinable
    mutating func setStochastic(_ v: Stochastic.Value) {
        stochasticK = v.k
        stochasticD = v.d
    }

    @inlinable
    mutating func setVolume(_ v: VolumeAverage.Value) {
        volumeSMA = v.average
        volumeRatio = v.ratio
    }
}
