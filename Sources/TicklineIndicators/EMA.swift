/// Exponential moving average, smoothing factor k = 2 / (period + 1).
///
/// Seeding (TA-Lib's default compatibility mode): the first value, at the `period`-th input, is
/// the simple average of the first `period` inputs; after it, ema = (x − ema)·k + ema, in that
/// order of operations, as `TA_INT_EMA`. Values then agree with TA-Lib from the first one.
/// (Metastock mode, which seeds with the first input, is not offered.)
///
/// ## Performance
/// O(1), no storage beyond three scalars.
public struct EMA: Sendable {
    public let period: Int
    public let k: Double
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        @usableFromInline var seen = 0
        @usableFromInline var seedSum = 0.0
        @usableFromInline var ema = 0.0
        @usableFromInline init() {}
    }

    public init(period: Int) {
        precondition(period >= 1, "EMA period must be ≥ 1")
        self.period = period
        k = 2.0 / Double(period + 1)
    }

    @inlinable public var value: Double? { state.seen >= period ? state.ema : nil }

    @inlinable
    public func peek(_ x: Double) -> Double? {
        var s = state
        return Self.advance(&s, x, period: period, k: k)
    }

    @inlinable @discardableResult
    public mutating func commit(_ x: Double) -> Double? { Self.advance(&state, x, period: period, k: k) }

    @inlinable
    static func advance(_ s: inout State, _ x: Double, period: Int, k: Double) -> Double? {
        if s.seen >= period {
            s.ema = ((x - s.ema) * k) + s.ema
            return s.ema
        }
        s.seedSum += x
        s.seen &+= 1
        guard s.seen == period else { return nil }
        s.ema = s.seedSum / Double(period)
        return s.ema
    }
}
