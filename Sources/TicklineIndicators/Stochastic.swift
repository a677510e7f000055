/// Slow stochastic oscillator, TA-Lib `STOCH` with SMA smoothing (14, 3, 3 by default).
///
/// fast %K = (close − lowest low) / ((highest high − lowest low) / 100) over the last
/// `fastK` candles (0 when the range is 0), written as TA-Lib computes it; slow %K = SMA of fast
/// %K over `slowK`; %D = SMA of slow %K over `slowD`. No seeding beyond the windows filling:
/// the first value (both lines) comes with candle fastK + slowK + slowD − 2 (the 18th for
/// 14/3/3: TA-Lib lookback 17) and agrees with TA-Lib from it.
///
/// ## Performance
/// Amortised O(1): the highest high and lowest low come from monotonic deques; each SMA is
/// O(1). Storage (two deques of `fastK`, two rings) is allocated at init.
public struct Stochastic: Sendable {
    public let fastKPeriod: Int
    @usableFromInline var highs: SlidingExtremum
    @usableFromInline var lows: SlidingExtremum
    @usableFromInline var slowK: SMA
    @usableFromInline var slowD: SMA
    /// Index of the next candle.
    @usableFromInline var index = 0
    @usableFromInline var _value: Value?

    @frozen
    public struct Value: Sendable, BitwiseCopyable, Equatable {
        /// Slow %K.
        public var k: Double
        /// %D.
        public var d: Double
        @inlinable
        public init(k: Double, d: Double) {
            self.k = k
            self.d = d
        }
    }

    public init(fastK: Int = 14, slowK: Int = 3, slowD: Int = 3) {
        precondition(fastK >= 1, "Stochastic fast %K period must be ≥ 1")
        fastKPeriod = fastK
        highs = SlidingExtremum(window: fastK, maximum: true)
        lows = SlidingExtremum(window: fastK, maximum: false)
        self.slowK = SMA(period: slowK)
        self.slowD = SMA(period: slowD)
    }

    @inlinable public var value: Value? { _value }

    @inlinable
    static func fastK(close: Double, highest: Double, lowest: Double) -> Double {
        let range = (highest - lowest) / 100.0
        return range != 0 ? (close - lowest) / range : 0
    }

    @inlinable
    public func peek(high: Double, low: Double, close: Double) -> Value? {
        guard index >= fastKPeriod - 1 else { return nil }
        let fast = Self.fastK(close: close, highest: highs.peek(index: index, high), lowest: lows.peek(index: index, low))
        guard let k = slowK.peek(fast), let d = slowD.peek(k) else { return nil }
        return Value(k: k, d: d)
    }

    @inlinable @discardableResult
    public mutating func commit(high: Double, low: Double, close: Double) -> Value? {
        highs.push(index: index, high)
        lows.push(index: index, low)
        let ready = index >= fastKPeriod - 1
        index &+= 1
        guard ready else { return nil }
        let fast = Self.fastK(close: close, highest: highs.extreme, lowest: lows.extreme)
        guard let k = slowK.commit(fast), let d = slowD.commit(k) else { return nil }
        _value = Value(k: k, d: d)
        return _value
    }
}
