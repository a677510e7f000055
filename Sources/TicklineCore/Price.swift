/// A price (or a quote-currency amount such as a notional) as an `Int64` count of 10^-places
/// units of its symbol's price scale, which comes from the tick size: BTCUSDT's tick "0.10"
/// gives 2 places, so 43250.10 is raw 4325010.
///
/// The scale is not stored: it is per symbol, and keeping it out of the value keeps a price
/// 8 bytes and bitwise-copyable. Parsing, formatting, rounding and arithmetic come from
/// `FixedPointValue`.
@frozen
public struct Price: FixedPointValue {
    public var raw: Int64

    @inlinable
    public init(raw: Int64) { self.raw = raw }
}

extension Price {
    /// price × quantity in `resultScale` (e.g. the USDT notional of an order), rounded once by
    /// `rule`. The product is formed exactly in `Int128`, as two `Int64` raws need up to 126 bits;
    /// nil if the result does not fit.
    @inlinable
    public static func notional(
        price: Price, priceScale: DecimalScale, quantity: Quantity, quantityScale: DecimalScale,
        resultScale: DecimalScale, _ rule: FixedPointRounding
    ) -> Price? {
        let product = Int128(price.raw) * Int128(quantity.raw)
        let excessPlaces = Int(priceScale.places) + Int(quantityScale.places) - Int(resultScale.places)
        let scaled: Int128
        if excessPlaces <= 0 {
            let (value, overflow) = product.multipliedReportingOverflow(by: Int128(_powerOfTen(-excessPlaces)))
            guard !overflow else { return nil }
            scaled = value
        } else {  // up to 36 places to drop: 10^36 still fits an Int128
            let divisor = Int128(_powerOfTen(min(excessPlaces, 18))) * Int128(_powerOfTen(max(excessPlaces - 18, 0)))
            scaled = _quotient(product, divisor, rule)!
        }
        return Int64(exactly: scaled).map(Price.init(raw:))
    }
}
