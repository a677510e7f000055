// Fixed-point decimal machinery shared by `Price` and `Quantity`.
//
// Exchanges publish prices and sizes as decimal strings on a per-symbol grid (Binance's tickSize
// and stepSize). Binary floating point cannot represent most of those values, so a `Double` round
// trip would put orders off the grid; instead a value is an `Int64` count of 10^-places units, and
// parsing, formatting and arithmetic are exact integer work with no allocation.

/// The number of fraction digits of a fixed-point value, with 10^places precomputed.
///
/// A scale belongs to a symbol (prices from its tick size, quantities from its step size), not to
/// each value, so values stay 8 bytes and the scale is passed where digits are converted.
@frozen
public struct DecimalScale: Hashable, Sendable, BitwiseCopyable {
    /// Fraction digits, 0...18 (10^18 is the largest power of ten an `Int64` holds).
    public let places: UInt8
    /// 10^places: the raw value of 1.
    public let multiplier: Int64

    @inlinable
    public init(places: UInt8) {
        precondition(places <= 18, "DecimalScale places must be in 0...18")
        self.places = places
        self.multiplier = _powerOfTen(Int(places))
    }

    /// The scale of an exchange increment such as a tick or step size: its fraction digits as
    /// written, trailing zeros included ("0.10" → 2, "10.0" → 1, "1" → 0), because Binance writes
    /// these at the symbol's precision. Nil unless the text is an unsigned decimal (digits with an
    /// optional '.') with a nonzero value and at most 18 fraction digits: a zero increment is not
    /// a grid.
    @inlinable
    public init?(ofIncrement text: UnsafeRawBufferPointer) {
        var digits = 0
        var fractionDigits = -1  // -1 until the '.' is seen
        var nonzero = false
        for byte in text {
            if byte == UInt8(ascii: ".") {
                guard fractionDigits < 0 else { return nil }
                fractionDigits = 0
                continue
            }
            guard byte &- UInt8(ascii: "0") < 10 else { return nil }
            digits += 1
            if fractionDigits >= 0 { fractionDigits += 1 }
            if byte != UInt8(ascii: "0") { nonzero = true }
        }
        guard digits > 0, nonzero, fractionDigits <= 18 else { return nil }
        self.init(places: UInt8(max(fractionDigits, 0)))
    }

    /// `init?(ofIncrement:)` for a `String`, e.g. from exchange info at start-up.
    @inlinable
    public init?(ofIncrement text: String) {
        var text = text
        guard let scale = text.withUTF8({ DecimalScale(ofIncrement: UnsafeRawBufferPointer($0)) })
        else { return nil }
        self = scale
    }

    /// Bytes that `format(scale:into:)` may write: sign, 19 integer digits, '.', `places` digits.
    @inlinable
    public var maxFormattedLength: Int { 21 + Int(places) }
}

/// How to resolve digits that do not fit a scale or an increment.
///
/// All four rules are symmetric in sign, so they act on magnitudes. There is no floor or ceiling:
/// prices and quantities on the order path are positive, where `towardZero` rounds down and
/// `awayFromZero` rounds up.
@frozen
public enum FixedPointRounding: Hashable, Sendable, BitwiseCopyable {
    case towardZero
    case awayFromZero
    /// Half-up: ties move away from zero.
    case toNearestOrAwayFromZero
    /// Banker's rounding: ties go to the even neighbour.
    case toNearestOrEven

    /// Whether a truncated magnitude moves one unit away from zero. `half` compares the dropped
    /// part with half a unit (-1 below, 0 at, 1 above); `odd` is the truncated value's parity.
    @inlinable
    func _roundsAway(inexact: Bool, half: Int, odd: Bool) -> Bool {
        switch self {
        case .towardZero: false
        case .awayFromZero: inexact
        case .toNearestOrAwayFromZero: half >= 0
        case .toNearestOrEven: half > 0 || (half == 0 && odd)
        }
    }
}

/// The shared implementation of `Price` and `Quantity`.
///
/// They are distinct types so that a price cannot be added to a quantity, yet all behaviour is
/// written once in this protocol's `@inlinable` extension. It is only ever used through the
/// concrete types, so every call specialises: no existentials or witness tables on the hot path.
///
/// Overflow policy follows `Int`: `+`, `-` and unary `-` trap, `&+` and `&-` wrap, and the
/// `…ReportingOverflow` methods return a flag. Conversions that may not fit return nil.
public protocol FixedPointValue: Hashable, Comparable, Sendable, BitwiseCopyable {
    /// The value in units of 10^-places of its symbol's scale.
    var raw: Int64 { get set }
    init(raw: Int64)
}

extension FixedPointValue {
    @inlinable
    public static var zero: Self { Self(raw: 0) }

    @inlinable
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.raw < rhs.raw }

    // MARK: Parsing

    /// Parses `[+-]digits[.digits]` (".5" and "5." included) exactly into `scale`.
    ///
    /// Fraction digits beyond the scale must be zeros, so an off-grid value is never silently
    /// altered, unless `rounding` is given, which then decides. Nil for anything else: empty
    /// input, a lone '.', whitespace, exponents, or a value outside `Int64` raw units.
    @inlinable
    public static func parse(
        _ bytes: UnsafeRawBufferPointer, scale: DecimalScale, rounding: FixedPointRounding? = nil
    ) -> Self? {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        let places = Int(scale.places)
        var magnitude: UInt64 = 0
        var digits = 0, fractionDigits = 0, dropped = 0
        var seenPoint = false
        var firstDropped: UInt8 = 0  // the first digit past the scale
        var nonzeroAfterFirstDropped = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            let digit = byte &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            digits += 1
            if seenPoint && fractionDigits == places {
                if dropped == 0 { firstDropped = digit } else if digit != 0 { nonzeroAfterFirstDropped = true }
                dropped += 1
            } else {
                guard _appendDigit(&magnitude, digit) else { return nil }
                if seenPoint { fractionDigits += 1 }
            }
        }
        guard digits > 0 else { return nil }
        while fractionDigits < places {
            guard _appendDigit(&magnitude, 0) else { return nil }
            fractionDigits += 1
        }
        if firstDropped != 0 || nonzeroAfterFirstDropped {
            guard let rule = rounding else { return nil }
            let half = firstDropped < 5 ? -1 : (firstDropped == 5 && !nonzeroAfterFirstDropped ? 0 : 1)
            if rule._roundsAway(inexact: true, half: half, odd: magnitude & 1 == 1) { magnitude += 1 }
        }
        if negative {
            guard magnitude <= UInt64(1) << 63 else { return nil }
            return Self(raw: Int64(truncatingIfNeeded: 0 &- magnitude))
        }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return Self(raw: Int64(magnitude))
    }

    /// `parse(_:scale:rounding:)` for a `String`, for use off the hot path.
    @inlinable
    public init?(_ text: String, scale: DecimalScale, rounding: FixedPointRounding? = nil) {
        var text = text
        guard let value = text.withUTF8({ Self.parse(UnsafeRawBufferPointer($0), scale: scale, rounding: rounding) })
        else { return nil }
        self = value
    }

    // MARK: Formatting

    /// Writes the value with exactly `scale.places` fraction digits ("43250.10"; no '.' when
    /// places is 0; a leading '-' when negative) and returns the number of bytes written.
    /// `buffer` must hold `scale.maxFormattedLength` bytes.
    @inlinable
    public func format(scale: DecimalScale, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        precondition(buffer.count >= scale.maxFormattedLength, "format buffer too small")
        let places = Int(scale.places)
        var integer = raw.magnitude / UInt64(scale.multiplier)
        var fraction = raw.magnitude % UInt64(scale.multiplier)
        var integerDigits = 1
        var rest = integer / 10
        while rest > 0 {
            integerDigits += 1
            rest /= 10
        }
        let sign = raw < 0 ? 1 : 0
        let length = sign + integerDigits + (places > 0 ? places + 1 : 0)
        var index = length
        for _ in 0..<places {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: fraction % 10)
            fraction /= 10
        }
        if places > 0 {
            index -= 1
            buffer[index] = UInt8(ascii: ".")
        }
        repeat {
            index -= 1
            buffer[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: integer % 10)
            integer /= 10
        } while integer > 0
        if sign == 1 { buffer[0] = UInt8(ascii: "-") }
        return length
    }

    /// The formatted value as a `String` (allocates: for logs and configuration, not the hot path).
    @inlinable
    public func description(scale: DecimalScale) -> String {
        String(unsafeUninitializedCapacity: scale.maxFormattedLength) {
            format(scale: scale, into: UnsafeMutableRawBufferPointer($0))
        }
    }

    // MARK: Grid and scale

    /// The multiple of `increment` (a tick or step size, positive, in the same scale) chosen by
    /// `rule`. Traps, like `+`, if that multiple is outside `Int64`, which can only happen within
    /// one increment of the bounds.
    @inlinable
    public func rounded(toMultipleOf increment: Self, _ rule: FixedPointRounding) -> Self {
        precondition(increment.raw > 0, "increment must be positive")
        return Self(raw: _quotient(raw, increment.raw, rule)! * increment.raw)
    }

    /// The same value in another scale: exact when gaining places, rounded by `rule` when losing
    /// them. Nil if the result does not fit.
    @inlinable
    public func rescaled(from source: DecimalScale, to target: DecimalScale, _ rule: FixedPointRounding) -> Self? {
        if target.places >= source.places {
            let (product, overflow) = raw.multipliedReportingOverflow(by: target.multiplier / source.multiplier)
            return overflow ? nil : Self(raw: product)
        }
        return _quotient(raw, source.multiplier / target.multiplier, rule).map(Self.init(raw:))
    }

    // MARK: Arithmetic

    @inlinable
    public static func + (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw + rhs.raw) }

    @inlinable
    public static func - (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw - rhs.raw) }

    @inlinable
    public static prefix func - (operand: Self) -> Self { Self(raw: -operand.raw) }

    @inlinable
    public static func += (lhs: inout Self, rhs: Self) { lhs.raw += rhs.raw }

    @inlinable
    public static func -= (lhs: inout Self, rhs: Self) { lhs.raw -= rhs.raw }

    @inlinable
    public static func &+ (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw &+ rhs.raw) }

    @inlinable
    public static func &- (lhs: Self, rhs: Self) -> Self { Self(raw: lhs.raw &- rhs.raw) }

    @inlinable
    public func addingReportingOverflow(_ other: Self) -> (partialValue: Self, overflow: Bool) {
        let (sum, overflow) = raw.addingReportingOverflow(other.raw)
        return (Self(raw: sum), overflow)
    }

    @inlinable
    public func subtractingReportingOverflow(_ other: Self) -> (partialValue: Self, overflow: Bool) {
        let (difference, overflow) = raw.subtractingReportingOverflow(other.raw)
        return (Self(raw: difference), overflow)
    }

    /// The value times an integer (e.g. a quantity per child order times their count).
    @inlinable
    public func multipliedReportingOverflow(by factor: Int64) -> (partialValue: Self, overflow: Bool) {
        let (product, overflow) = raw.multipliedReportingOverflow(by: factor)
        return (Self(raw: product), overflow)
    }

    /// The value divided by an integer and rounded by `rule` (with `.towardZero` this is `Int`'s
    /// division). As with `Int`, dividing by zero or `Int64.min` raw by -1 reports overflow and
    /// returns `self`.
    @inlinable
    public func dividedReportingOverflow(by divisor: Int64, _ rule: FixedPointRounding) -> (partialValue: Self, overflow: Bool) {
        guard let quotient = _quotient(raw, divisor, rule) else { return (self, true) }
        return (Self(raw: quotient), false)
    }
}

// MARK: Internals

/// 10^exponent for 0...18; only run when a scale is built or for cross-scale products.
@inlinable
func _powerOfTen(_ exponent: Int) -> Int64 {
    var power: Int64 = 1
    for _ in 0..<exponent { power *= 10 }
    return power
}

/// Appends a decimal digit to a magnitude being parsed; false once it certainly exceeds 2^63,
/// the largest magnitude an `Int64` holds, so the `UInt64` itself never overflows.
@inlinable
func _appendDigit(_ magnitude: inout UInt64, _ digit: UInt8) -> Bool {
    guard magnitude <= UInt64(Int64.max) / 10 else { return false }
    magnitude = magnitude * 10 + UInt64(digit)
    return true
}

/// `dividend / divisor` rounded by `rule`; nil when the quotient is not representable
/// (a zero divisor, or `T.min / -1`). Generic so `Int128` products share it.
@inlinable
func _quotient<T: FixedWidthInteger & SignedInteger>(_ dividend: T, _ divisor: T, _ rule: FixedPointRounding) -> T? {
    let (quotient, overflow) = dividend.dividedReportingOverflow(by: divisor)
    guard !overflow else { return nil }
    let remainder = (dividend &- quotient &* divisor).magnitude  // exact; saves a second division
    let rest = divisor.magnitude - remainder  // remainder compared with half the divisor, without overflow
    let half = remainder < rest ? -1 : (remainder == rest ? 0 : 1)
    guard rule._roundsAway(inexact: remainder != 0, half: half, odd: quotient & 1 != 0) else { return quotient }
    // A nonzero remainder means |divisor| ≥ 2, so the quotient has room for one more unit.
    return (dividend < 0) != (divisor < 0) ? quotient - 1 : quotient + 1
}
