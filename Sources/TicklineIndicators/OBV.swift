/// On-balance volume: a running total that adds the volume of a candle closing above the
/// previous close and subtracts that of one closing below.
///
/// Starts, as TA-Lib `OBV` and talipp `OBV`, at the first candle's volume (not at 0), so it is
/// ready from the first candle and agrees with both exactly (same additions in the same order).
///
/// ## Performance
/// O(1), scalars only.
public struct OBV: Sendable {
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        @usableFromInline var started = false
        @usableFromInline var previousClose = 0.0
        @usableFromInline var obv = 0.0
        @usableFromInline init() {}
    }

    public init() {}

    @inlinable public var value: Double? { state.started ? state.obv : nil }

    @inlinable
    public func peek(close: Double, volume: Double) -> Double {
        var s = state
        return Self.advance(&s, close: close, volume: volume)
    }

    @inlinable @discardableResult
    public mutating func commit(close: Double, volume: Double) -> Double {
        Self.advance(&state, close: close, volume: volume)
    }

    @inlinable
    static func advance(_ s: inout State, close: Double, volume: Double) -> Double {
        if !s.started {
            s.started = true
            s.obv = volume
        } else if close > s.previousClose {
            s.obv += volume
        } else if close < s.previousClose {
            s.obv -= volume
        }
        s.previousClose = close
        return s.obv
    }
}
