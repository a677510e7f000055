import TicklineCore

/// How a division that does not come out even is resolved. Unlike `FixedPointRounding` these act
/// on signed values (PnL and funding can be negative), so floor and ceiling are distinct from
/// toward/away from zero.
enum RiskRounding {
    case floor, ceiling, towardZero
    /// Half to even: the simulator's (and Binance's 8-decimal balance) rounding.
    case halfEven
}

/// Exact fixed-point arithmetic for risk: products in `Int128`, one rounding per result.
///
/// Quote amounts ("money": balances, notionals, PnL, margin, fees) are `Int64` counts of 10⁻⁸
/// (`RiskEngine.moneyScale`), Binance's balance precision, so sums across symbols with different
/// price scales are exact. A notional `quantity × price` is exact whenever the two scales have 8
/// places or fewer between them (BTCUSDT: 3 + 2), which covers the USDⓈ-M book.
enum RiskMath {
    static let moneyPlaces = 8

    static func pow10(_ n: Int) -> Int128 {
        var p: Int128 = 1
        for _ in 0..<n { p &*= 10 }
        return p
    }

    /// n ÷ d (d ≠ 0) rounded by `rule`.
    static func divide(_ n: Int128, _ d: Int128, _ rule: RiskRounding) -> Int128 {
        let q = n / d
        let r = n % d
        guard r != 0 else { return q }
        let negative = (n < 0) != (d < 0)
        switch rule {
        case .towardZero:
            return q
        case .floor:
            return negative ? q - 1 : q
        case .ceiling:
            return negative ? q : q + 1
        case .halfEven:
            let twice = r.magnitude * 2
            let away = twice > d.magnitude || (twice == d.magnitude && q & 1 != 0)
            return away ? (negative ? q - 1 : q + 1) : q
        }
    }

    /// Saturates: risk's inputs are bounded by the symbol filters long before `Int64` is reached,
    /// so saturation only guards against nonsense input, which then fails every limit check.
    static func clamp(_ v: Int128) -> Int64 {
        v > Int128(Int64.max) ? .max : (v < Int128(Int64.min) ? .min : Int64(v))
    }

    /// `quantity × price` in money units, half-even when the scales have more than 8 places.
    static func notional(_ q: Quantity, _ qs: DecimalScale, _ p: Price, _ ps: DecimalScale) -> Int64 {
        let product = Int128(q.raw) * Int128(p.raw)
        let excess = Int(qs.places) + Int(ps.places) - moneyPlaces
        if excess <= 0 { return clamp(product * pow10(-excess)) }
        return clamp(divide(product, pow10(excess), .halfEven))
    }

    /// The price at which `q` has notional `money` (money ÷ quantity at the price scale,
    /// half-even): raw = M × 10^(qs+ps) ÷ (10^8 × Q). Zero for a zero quantity.
    static func averagePrice(_ money: Int64, _ q: Quantity, _ qs: DecimalScale, _ ps: DecimalScale) -> Price {
        guard q.raw > 0 else { return .zero }
        let places = Int(qs.places) + Int(ps.places)
        return Price(raw: clamp(divide(Int128(money) * pow10(places), pow10(moneyPlaces) * Int128(q.raw), .halfEven)))
    }

    /// `value × numerator ÷ denominator` in one rounding.
    static func scale(_ value: Int64, _ numerator: Int64, _ denominator: Int64, _ rule: RiskRounding) -> Int64 {
        clamp(divide(Int128(value) * Int128(numerator), Int128(denominator), rule))
    }

    /// A money amount at a symbol's price scale (places ≤ 8 in practice), half-even.
    static func moneyToPriceScale(_ money: Int64, _ ps: DecimalScale) -> Price {
        let excess = moneyPlaces - Int(ps.places)
        if excess >= 0 { return Price(raw: clamp(divide(Int128(money), pow10(excess), .halfEven))) }
        return Price(raw: clamp(Int128(money) * pow10(-excess)))
    }

    /// A quote amount at a symbol's price scale (e.g. a commission) in money units.
    static func priceScaleToMoney(_ amount: Price, _ ps: DecimalScale) -> Int64 {
        let excess = moneyPlaces - Int(ps.places)
        if excess >= 0 { return clamp(Int128(amount.raw) * pow10(excess)) }
        return clamp(divide(Int128(amount.raw), pow10(-excess), .halfEven))
    }

    /// The price `multiple × tick` nearest to `numerator ÷ denominator` (in price raw units) on
    /// the side `rule` picks: the rational is rounded to the tick grid in one step.
    static func onTickGrid(_ numerator: Int128, _ denominator: Int128, tick: Price, _ rule: RiskRounding) -> Price {
        Price(raw: clamp(divide(numerator, denominator * Int128(tick.raw), rule) * Int128(tick.raw)))
    }
}
