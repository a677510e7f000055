/// An exact decimal amount: an `Int64` count of 10⁻⁸ units (Binance's maximum precision).
///
/// The simulator keeps its own decimal type rather than sharing the engine's fixed-point code, so
/// a bug on one side cannot hide the same bug on the other. Prices, quantities and balances are
/// all exact; only `*` and `/` round, half-even to 8 decimals (via `Int128`, so intermediate
/// products cannot overflow). Results outside `Int64` trap: inputs are bounded by the symbol
/// filters (max price, max quantity) before they are multiplied.
struct SimDecimal: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    static let decimals = 8
    static let scale: Int64 = 100_000_000

    /// Raw value in 10⁻⁸ units.
    var units: Int64

    init(units: Int64) { self.units = units }
    init(_ int: Int) { units = Int64(int) * Self.scale }
    init(integerLiteral value: Int64) { units = value * Self.scale }

    /// Exact parse of `[+-]digits[.digits]`. Rejects more than 8 significant decimals (trailing
    /// zeros beyond the 8th are accepted), exponents, junk and values outside `Int64` units.
    init?(_ text: String) {
        var bytes = Substring(text).utf8[...]
        guard !bytes.isEmpty else { return nil }
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        var intPart: Int64 = 0
        var frac: Int64 = 0
        var fracDigits = 0
        var sawDigit = false
        var sawDot = false
        for b in bytes {
            if b == UInt8(ascii: ".") {
                if sawDot { return nil }
                sawDot = true
                continue
            }
            guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { return nil }
            let d = Int64(b - UInt8(ascii: "0"))
            sawDigit = true
            if sawDot {
                if fracDigits < Self.decimals {
                    frac = frac * 10 + d
                    fracDigits += 1
                } else if d != 0 {
                    return nil  // a ninth significant decimal: not representable exactly
                }
            } else {
                let (m, o1) = intPart.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(d)
                guard !o1, !o2 else { return nil }
                intPart = a
            }
        }
        guard sawDigit else { return nil }
        while fracDigits < Self.decimals {
            frac *= 10
            fracDigits += 1
        }
        let (scaled, o1) = intPart.multipliedReportingOverflow(by: Self.scale)
        let (total, o2) = scaled.addingReportingOverflow(frac)
        guard !o1, !o2 else { return nil }
        units = negative ? -total : total
    }

    static let zero = SimDecimal(units: 0)
    static let one = SimDecimal(units: scale)

    var isZero: Bool { units == 0 }
    var isNegative: Bool { units < 0 }
    var isPositive: Bool { units > 0 }
    var signum: Int64 { units.signum() }

    static func < (a: SimDecimal, b: SimDecimal) -> Bool { a.units < b.units }
    static func + (a: SimDecimal, b: SimDecimal) -> SimDecimal { SimDecimal(units: a.units + b.units) }
    static func - (a: SimDecimal, b: SimDecimal) -> SimDecimal { SimDecimal(units: a.units - b.units) }
    static prefix func - (a: SimDecimal) -> SimDecimal { SimDecimal(units: -a.units) }
    static func += (a: inout SimDecimal, b: SimDecimal) { a = a + b }
    static func -= (a: inout SimDecimal, b: SimDecimal) { a = a - b }

    /// Product rounded half-even to 8 decimals.
    static func * (a: SimDecimal, b: SimDecimal) -> SimDecimal {
        SimDecimal(units: Int64(divideHalfEven(Int128(a.units) * Int128(b.units), Int128(scale))))
    }

    /// Quotient rounded half-even to 8 decimals. Division by zero traps.
    static func / (a: SimDecimal, b: SimDecimal) -> SimDecimal {
        SimDecimal(units: Int64(divideHalfEven(Int128(a.units) * Int128(scale), Int128(b.units))))
    }

    /// `n / d` rounded to nearest, ties to even.
    static func divideHalfEven(_ n: Int128, _ d: Int128) -> Int128 {
        precondition(d != 0, "SimDecimal division by zero")
        var q = n / d
        let r = n % d
        if r == 0 { return q }
        let twice = (r < 0 ? -r : r) * 2
        let ad = d < 0 ? -d : d
        let positive = (n < 0) == (d < 0)
        if twice > ad || (twice == ad && q % 2 != 0) { q += positive ? 1 : -1 }
        return q
    }

    var abs: SimDecimal { SimDecimal(units: units < 0 ? -units : units) }

    enum Rounding: Sendable {
        /// Toward −∞ (floor).
        case down
        /// Toward +∞ (ceiling).
        case up
        /// Nearest, ties to even.
        case nearest
    }

    /// The multiple of `step` (> 0) nearest to `self` by `rule`.
    func rounded(toMultipleOf step: SimDecimal, rule: Rounding) -> SimDecimal {
        precondition(step.units > 0, "rounding step must be positive")
        let s = step.units
        var q = units / s
        let r = units % s
        if r != 0 {
            switch rule {
            case .down: if r < 0 { q -= 1 }
            case .up: if r > 0 { q += 1 }
            case .nearest: q = Int64(Self.divideHalfEven(Int128(units), Int128(s)))
            }
        }
        return SimDecimal(units: q * s)
    }

    func isMultiple(of step: SimDecimal) -> Bool { step.units != 0 && units % step.units == 0 }

    /// Number of decimals actually used (0…8), i.e. without trailing zeros.
    var decimalPlaces: Int {
        var u = units < 0 ? -units : units
        var places = Self.decimals
        while places > 0 && u % 10 == 0 {
            u /= 10
            places -= 1
        }
        return places
    }

    /// Fixed number of decimals (0…8), rounded half-even when fewer than 8: "43250.10".
    func format(decimals: Int) -> String {
        let d = Swift.max(0, Swift.min(Self.decimals, decimals))
        var divisor: Int64 = 1
        for _ in 0..<(Self.decimals - d) { divisor *= 10 }
        let q = Int64(Self.divideHalfEven(Int128(units), Int128(divisor)))
        let negative = q < 0
        let mag = UInt64(q.magnitude)
        var pow: UInt64 = 1
        for _ in 0..<d { pow *= 10 }
        let intPart = mag / pow
        var s = negative ? "-" : ""
        s += String(intPart)
        if d > 0 {
            let frac = String(mag % pow)
            s += "." + String(repeating: "0", count: d - frac.count) + frac
        }
        return s
    }

    /// Shortest exact text without trailing zeros: "0.001", "1", "-2.5".
    var plain: String { format(decimals: decimalPlaces) }

    var description: String { plain }

    /// `Double` for display/statistics only; never used in accounting.
    var doubleValue: Double { Double(units) / Double(Self.scale) }
}

extension SimDecimal {
    /// `Int64 × SimDecimal` without rounding (used for tick and step counts).
    static func * (n: Int64, d: SimDecimal) -> SimDecimal { SimDecimal(units: n * d.units) }

    /// How many whole `step`s fit in `self` (truncating toward zero).
    func count(of step: SimDecimal) -> Int64 { units / step.units }
}
