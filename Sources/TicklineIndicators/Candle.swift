import TicklineCore

/// One candle as the indicators see it: open time and OHLCV in `Double`.
///
/// Market data stays fixed-point (`Kline`: `Price` and `Quantity`) up to this boundary;
/// `init(_:scales:)` converts once per candle, and everything after it is floating point,
/// because indicators are compared with TA-Lib to 1e-9, not on a price grid.
@frozen
public struct Candle: Sendable, BitwiseCopyable, Equatable {
    public var openTimeMs: Int64
    public var open: Double
    public var high: Double
    public var low: Double
    public var close: Double
    public var volume: Double

    @inlinable
    public init(openTimeMs: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
        self.openTimeMs = openTimeMs
        self.open = open
        self.high = high
        self.low = low
        self.close = close
        self.volume = volume
    }

    /// Converts a kline at its symbol's scales. Each value is `Double(raw) / 10^places`: one
    /// correctly rounded division of two exact integers, so a value whose raw count is below 2^53
    /// becomes the nearest `Double` to its decimal, the same number a CSV reader's `float()`
    /// gives. The kline's interval is not kept: the consumer checks it (`IndicatorBank`).
    @inlinable
    public init(_ kline: Kline, scales: CandleScales) {
        let p = Double(scales.price.multiplier), q = Double(scales.quantity.multiplier)
        self.init(openTimeMs: kline.openTimeMs, open: Double(kline.open.raw) / p, high: Double(kline.high.raw) / p,
                  low: Double(kline.low.raw) / p, close: Double(kline.close.raw) / p,
                  volume: Double(kline.volume.raw) / q)
    }

    /// What is wrong with the candle on its own (before its place in a sequence is checked), or
    /// nil. Checked in this order: a NaN or infinity anywhere; a price ≤ 0 (zero included: no
    /// contract trades at 0, so a zero is a feed or parse fault); a negative volume; a high below
    /// the low or an open or close outside [low, high].
    @inlinable
    public var defect: CandleRejection? {
        guard open.isFinite, high.isFinite, low.isFinite, close.isFinite, volume.isFinite else { return .nonFinite }
        guard open > 0, high > 0, low > 0, close > 0 else { return .nonPositivePrice }
        guard volume >= 0 else { return .negativeVolume }
        guard low <= high, open >= low, open <= high, close >= low, close <= high else { return .inconsistentRange }
        return nil
    }
}

/// The fixed-point scales of one symbol, for converting its klines (`SymbolTable` holds them).
@frozen
public struct CandleScales: Sendable, BitwiseCopyable, Hashable {
    public var price: DecimalScale
    public var quantity: DecimalScale

    @inlinable
    public init(price: DecimalScale, quantity: DecimalScale) {
        self.price = price
        self.quantity = quantity
    }
}
