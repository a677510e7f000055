/// Volume SMA over `period` candles and the volume ratio, the candle's volume over that average
/// (the average includes the candle): above 1 is heavier than usual trading.
///
/// Warm-up as `SMA`: the first value with the `period`-th candle. When the average is 0 (no
/// trading in the whole window) the ratio is 0, not NaN.
public struct VolumeAverage: Sendable {
    @usableFromInline var sma: SMA
    @usableFromInline var _value: Value?

    @frozen
    public struct Value: Sendable, BitwiseCopyable, Equatable {
        public var average: Double
        public var ratio: Double
        @inlinable
        public init(average: Double, ratio: Double) {
            self.average = average
            self.ratio = ratio
        }
    }

    public init(period: Int = 20) { sma = SMA(period: period) }

    @inlinable public var period: Int { sma.period }
    @inlinable public var value: Value? { _value }

    @inlinable
    static func make(_ average: Double?, _ volume: Double) -> Value? {
        guard let average else { return nil }
        return Value(average: average, ratio: average != 0 ? volume / average : 0)
    }

    @inlinable
    public func peek(volume: Double) -> Value? { Self.make(sma.peek(volume), volume) }

    @inlinable @discardableResult
    public mutating func commit(volume: Double) -> Value? {
        _value = Self.make(sma.commit(volume), volume)
        return _value
    }
}
