/// Wilder's true range: the largest of high − low, |high − previous close| and
/// |low − previous close|, compared in TA-Lib's order (`TA_TRANGE`, `TRUE_RANGE`).
@inlinable
public func trueRange(high: Double, low: Double, previousClose: Double) -> Double {
    var greatest = high - low
    let toHigh = abs(previousClose - high)
    if toHigh > greatest { greatest = toHigh }
    let toLow = abs(previousClose - low)
    if toLow > greatest { greatest = toLow }
    return greatest
}

/// Average true range with Wilder's smoothing.
///
/// Seeding, as TA-Lib `ATR` (unstable period 0): the first candle only provides a previous
/// close (TA-Lib's true range starts at the second candle); the first value comes with candle
/// `period + 1` and is the simple average of the first `period` true ranges; after it
/// atr = (atr · (period − 1) + tr) / period, in that order. Values agree with TA-Lib from the
/// first one.
///
/// ## Performance
/// O(1), scalars only.
public struct ATR: Sendable {
    public let period: Int
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        /// Candles seen, saturating at period + 1.
        @usableFromInline var seen = 0
        @usableFromInline var previousClose = 0.0
        /// The sum of true ranges during warm-up, then the average.
        @usableFromInline var atr = 0.0
        @usableFromInline init() {}
    }

    public init(period: Int = 14) {
        precondition(period >= 1, "ATR period must be ≥ 1")
        self.period = period
    }

    @inlinable public var value: Double? { state.seen > period ? state.atr : nil }

    @inlinable
    public func peek(high: Double, low: Double, close: Double) -> Double? {
        var s = state
        return Self.advance(&s, high: high, low: low, close: close, period: period)
    }

    @inlinable @discardableResult
    public mutating func commit(high: Double, low: Double, close: Double) -> Double? {
        Self.advance(&state, high: high, low: low, close: close, period: period)
    }

    @inlinable
    static func advance(_ s: inout State, high: Double, low: Double, close: Double, period: Int) -> Double? {
        guard s.seen > 0 else {
            s.previousClose = close
            s.seen = 1
            return nil
        }
        let tr = trueRange(high: high, low: low, previousClose: s.previousClose)
        s.previousClose = close
        if s.seen <= period {
            s.atr += tr
            s.seen &+= 1
            guard s.seen > period else { return nil }
            s.atr /= Double(period)
            return s.atr
        }
        s.atr *= Double(period - 1)
        s.atr += tr
        s.atr /= Double(period)
        return s.atr
    }
}
