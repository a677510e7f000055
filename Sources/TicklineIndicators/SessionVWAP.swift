import TicklineCore

/// Volume-weighted average price since the start of the session: Σ(volume · typical) / Σvolume,
/// typical = (high + low + close) / 3, with sessions of `sessionMs` aligned on the epoch
/// (the UTC day by default, as exchanges and most charting reset VWAP at 00:00 UTC).
///
/// A candle belongs to the session containing its open time. Within a session the arithmetic
/// is talipp `VWAP`'s (it has no sessions; the reference runs one talipp VWAP per UTC day), so
/// values agree with it exactly. No value while the session's volume is still 0.
///
/// ## Performance
/// O(1), scalars only.
public struct SessionVWAP: Sendable {
    public let sessionMs: Int64
    @usableFromInline var state = State()

    @usableFromInline
    struct State: Sendable, BitwiseCopyable {
        @usableFromInline var sessionOpenMs = Int64.min
        @usableFromInline var priceVolume = 0.0
        @usableFromInline var volume = 0.0
        @usableFromInline init() {}
    }

    public init(sessionMs: Int64 = Interval.d1.durationMs) {
        precondition(sessionMs > 0, "VWAP session must be > 0 ms")
        self.sessionMs = sessionMs
    }

    @inlinable public var value: Double? { state.volume != 0 ? state.priceVolume / state.volume : nil }

    @inlinable
    public func peek(_ candle: Candle) -> Double? {
        var s = state
        return Self.advance(&s, candle, sessionMs: sessionMs)
    }

    @inlinable @discardableResult
    public mutating func commit(_ candle: Candle) -> Double? { Self.advance(&state, candle, sessionMs: sessionMs) }

    @inlinable
    static func advance(_ s: inout State, _ candle: Candle, sessionMs: Int64) -> Double? {
        let r = candle.openTimeMs % sessionMs
        let session = r >= 0 ? candle.openTimeMs - r : candle.openTimeMs - r - sessionMs
        if session != s.sessionOpenMs {
            s.sessionOpenMs = session
            s.priceVolume = 0
            s.volume = 0
        }
        let typical = (candle.high + candle.low + candle.close) / 3.0
        s.priceVolume = s.priceVolume + candle.volume * typical
        s.volume = s.volume + candle.volume
        return s.volume != 0 ? s.priceVolume / s.volume : nil
    }
}
