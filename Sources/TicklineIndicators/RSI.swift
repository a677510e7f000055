/// Relative strength index with Wilder's smoothing: 100 · avgGain / (avgGain + avgLoss).
///
/// Seeding, as TA-Lib `RSI` (default compatibility, unstable period 0): the first value comes
/// with input `period + 1` (the `period`-th change), from plain averages of the first `period`
/// gains and losses; after it each average is multiplied by `period − 1`, the new gain or loss
/// added and the sum divided by `period`, in TA-Lib's order of operations. Values agree with
/// TA-Lib from the first one.
///
/// One deliberate difference: when both averages are zero (a flat market) the value is 50,
/// where TA-Lib gives 0 whenever avgGain + avgLoss < 1e-8 (its `TA_IS_ZERO`). Zero would read as
/// "deeply oversold" to a mean-reversion rule, and the 1e-8 threshold misfires for assets quoted
/// below a cent, whose price changes can be that small. Real series never reach either case.
///
/// ## Performance
/// O(1), scalars only.
public struct RSI: Sendable {
    public let period: Int
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        /// Inputs seen, saturating at period + 1.
        @usableFromInline var seen = 0
        @usableFromInline var previous = 0.0
        /// Sums during warm-up, then Wilder averages.
        @usableFromInline var gain = 0.0
        @usableFromInline var loss = 0.0
        @usableFromInline init() {}
    }

    public init(period: Int = 14) {
        precondition(period >= 1, "RSI period must be ≥ 1")
        self.period = period
    }

    @inlinable public var value: Double? { state.seen > period ? Self.rsi(state) : nil }

    @inlinable
    public func peek(_ x: Double) -> Double? {
        var s = state
        return Self.advance(&s, x, period: period)
    }

    @inlinable @discardableResult
    public mutating func commit(_ x: Double) -> Double? { Self.advance(&state, x, period: period) }

    @inlinable
    static func rsi(_ s: State) -> Double {
        let total = s.gain + s.loss
        return total != 0 ? 100.0 * (s.gain / total) : 50.0
    }

    @inlinable
    static func advance(_ s: inout State, _ x: Double, period: Int) -> Double? {
        guard s.seen > 0 else {
            s.previous = x
            s.seen = 1
            return nil
        }
        let change = x - s.previous
        s.previous = x
        let p = Double(period)
        if s.seen <= period {
            if change < 0 { s.loss -= change } else { s.gain += change }
            s.seen &+= 1
            guard s.seen > period else { return nil }
            s.loss /= p
            s.gain /= p
            return rsi(s)
        }
        s.loss *= Double(period - 1)
        s.gain *= Double(period - 1)
        if change < 0 { s.loss -= change } else { s.gain += change }
        s.loss /= p
        s.gain /= p
        return rsi(s)
    }
}
