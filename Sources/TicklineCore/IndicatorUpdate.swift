/// The indicator stage's output for one (symbol, interval): the candle's close and every
/// indicator value, 192 bytes (three cache lines).
///
/// Indicators are floating point by nature (they are compared with TA-Lib to 1e-9), unlike
/// prices, which stay fixed-point. `ready` says which values have finished warming up: a value
/// whose bit is clear is meaningless and must not produce a signal.
@frozen
public struct IndicatorUpdate: Sendable, BitwiseCopyable {
    public var ingressNs: UInt64
    public var candleOpenTimeMs: Int64
    public var symbol: SymbolID
    public var interval: Interval
    /// True for a closed candle, false for the provisional values of the candle in progress.
    public var isClosed: Bool
    public var ready: IndicatorSet
    public var close: Price
    public var values: Values
    /// Pads the update to three whole cache lines.
    @usableFromInline var _padding = Padding<(UInt64, UInt64, UInt64)>((0, 0, 0))

    /// The values, each valid only when its `IndicatorSet` bit is in `ready`.
    @frozen
    public struct Values: Sendable, BitwiseCopyable, Equatable {
        public var sma = 0.0, ema = 0.0, rsi = 0.0
        public var macd = 0.0, macdSignal = 0.0, macdHistogram = 0.0
        public var bollingerUpper = 0.0, bollingerMiddle = 0.0, bollingerLower = 0.0
        public var atr = 0.0, stochasticK = 0.0, stochasticD = 0.0
        public var obv = 0.0, vwap = 0.0, volumeSMA = 0.0, volumeRatio = 0.0, adx = 0.0
        @inlinable public init() {}
    }

    @inlinable
    public init(ingressNs: UInt64, symbol: SymbolID, interval: Interval, candleOpenTimeMs: Int64, isClosed: Bool,
                close: Price, ready: IndicatorSet = [], values: Values = Values()) {
        self.ingressNs = ingressNs
        self.symbol = symbol
        self.interval = interval
        self.candleOpenTimeMs = candleOpenTimeMs
        self.isClosed = isClosed
        self.close = close
        self.ready = ready
        self.values = values
    }
}

/// Which indicator values are warmed up.
@frozen
public struct IndicatorSet: OptionSet, Sendable, BitwiseCopyable {
    public var rawValue: UInt32
    @inlinable public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let sma = IndicatorSet(rawValue: 1 << 0)
    public static let ema = IndicatorSet(rawValue: 1 << 1)
    public static let rsi = IndicatorSet(rawValue: 1 << 2)
    public static let macd = IndicatorSet(rawValue: 1 << 3)
    public static let bollinger = IndicatorSet(rawValue: 1 << 4)
    public static let atr = IndicatorSet(rawValue: 1 << 5)
    public static let stochastic = IndicatorSet(rawValue: 1 << 6)
    public static let obv = IndicatorSet(rawValue: 1 << 7)
    public static let vwap = IndicatorSet(rawValue: 1 << 8)
    public static let volume = IndicatorSet(rawValue: 1 << 9)
    public static let adx = IndicatorSet(rawValue: 1 << 10)
}
