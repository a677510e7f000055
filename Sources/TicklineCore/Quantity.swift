/// A quantity as an `Int64` count of 10^-places units of its symbol's quantity scale, which
/// comes from the step size: BTCUSDT's step "0.001" gives 3 places, so 0.001 BTC is raw 1.
///
/// Like `Price`, the scale is per symbol and not stored; behaviour comes from `FixedPointValue`.
/// A distinct type from `Price`, so the two cannot be mixed by accident.
@frozen
public struct Quantity: FixedPointValue {
    public var raw: Int64

    @inlinable
    public init(raw: Int64) { self.raw = raw }
}
