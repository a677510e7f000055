import TicklineCore

/// The stream parser's fast-path reader: a position in one message, read 8 bytes at a time.
///
/// Every read is bounds-safe: `load8` reads whole words only while 8 bytes remain and otherwise
/// reads the last 8 bytes of the message and shifts, so bytes past the end read as 0 (a byte no
/// literal, digit or quote matches). The message must be at least 8 bytes long (the fast path
/// takes messages of 16 bytes or more).
///
/// Readers return nil / false for anything outside the shapes they expect (a sign, an escape,
/// whitespace, more than 19 digits, …). That is not an error: the caller then parses the whole
/// message again on the general path, which decides what the input means.
@usableFromInline
struct WireReader {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    /// `end - 8`: the last index a whole word can be read from.
    @usableFromInline let lastWord: Int
    @usableFromInline var i: Int

    @inlinable @inline(__always)
    init(base: UnsafePointer<UInt8>, end: Int, at i: Int = 0) {
        assert(end >= 8, "WireReader needs a message of at least 8 bytes")
        self.base = base
        self.end = end
        self.lastWord = end &- 8
        self.i = i
    }

    // MARK: bytes and words

    @inlinable @inline(__always)
    func load8(_ at: Int) -> UInt64 {
        if _fastPath(at <= lastWord) { return UnsafeRawPointer(base + at).loadUnaligned(as: UInt64.self) }
        // The last 8 bytes, shifted so that byte `at` comes first and the rest read as 0.
        let over = at &- lastWord
        let last = UnsafeRawPointer(base + lastWord).loadUnaligned(as: UInt64.self)
        return over >= 8 ? 0 : last &>> UInt64(over &* 8)
    }

    @inlinable @inline(__always)
    func byte(_ at: Int) -> UInt8 { at < end ? base[at] : 0 }

    /// The bytes of a literal of up to 8 bytes as a little-endian word (folded at compile time).
    @inlinable @inline(__always)
    static func word(_ s: StaticString) -> UInt64 {
        let p = s.utf8Start
        var v: UInt64 = 0
        var j = 0
        while j < s.utf8CodeUnitCount && j < 8 {
            v |= UInt64(p[j]) &<< UInt64(8 &* j)
            j &+= 1
        }
        return v
    }

    @inlinable @inline(__always)
    static func mask(_ s: StaticString) -> UInt64 {
        s.utf8CodeUnitCount >= 8 ? ~0 : (UInt64(1) &<< UInt64(8 &* s.utf8CodeUnitCount)) &- 1
    }

    /// Consumes `literal` (1...8 bytes) if the input continues with it.
    @inlinable @inline(__always)
    mutating func expect(_ literal: StaticString) -> Bool {
        guard (load8(i) ^ Self.word(literal)) & Self.mask(literal) == 0 else { return false }
        i &+= literal.utf8CodeUnitCount
        return true
    }

    // MARK: numbers

    /// A run of 0...19 ASCII digits at the cursor, consumed; `next` is the byte after it (0 at
    /// the end). Nil for 20 or more digits.
    @usableFromInline
    struct Digits {
        @usableFromInline var value: UInt64
        @usableFromInline var count: Int
        @usableFromInline var next: UInt8
        @inlinable init(value: UInt64, count: Int, next: UInt8) {
            self.value = value
            self.count = count
            self.next = next
        }
    }

    @inlinable @inline(__always)
    mutating func digits() -> Digits? {
        let w0 = load8(i)
        let m0 = JSONScan.nonDigits(w0)
        if m0 != 0 {
            let n = m0.trailingZeroBitCount &>> 3
            i &+= n
            let next = UInt8(truncatingIfNeeded: w0 &>> UInt64(n &* 8))
            return Digits(value: n == 0 ? 0 : JSONScan.leadingDigits(w0, n), count: n, next: next)
        }
        let w1 = load8(i &+ 8)
        let m1 = JSONScan.nonDigits(w1)
        guard m1 != 0 else { return digitsLong(w0, w1) }
        let n1 = m1.trailingZeroBitCount &>> 3
        // The last 8 digits, then the n1 leading ones: value = high · 10^8 + low.
        let low = JSONScan.eightDigits(load8(i &+ n1) & 0x0F0F_0F0F_0F0F_0F0F)
        let high = n1 == 0 ? 0 : JSONScan.leadingDigits(w0, n1)
        i &+= 8 &+ n1
        return Digits(value: high &* 100_000_000 &+ low, count: 8 &+ n1,
                      next: UInt8(truncatingIfNeeded: w1 &>> UInt64(n1 &* 8)))
    }

    /// `digits()` past 15: 16...19 digits (a monotonic-clock stamp, a large id), nil for more.
    /// The value stays below 10^19, inside `UInt64`.
    @usableFromInline @inline(never)
    mutating func digitsLong(_ w0: UInt64, _ w1: UInt64) -> Digits? {
        let w2 = load8(i &+ 16)
        let m2 = JSONScan.nonDigits(w2)
        let n2 = m2.trailingZeroBitCount &>> 3
        guard m2 != 0, n2 <= 3 else { return nil }
        var v = JSONScan.eightDigits(w0 & 0x0F0F_0F0F_0F0F_0F0F) &* 100_000_000
            &+ JSONScan.eightDigits(w1 & 0x0F0F_0F0F_0F0F_0F0F)
        if n2 > 0 { v = v &* JSONScan.powerOfTen(n2) &+ JSONScan.leadingDigits(w2, n2) }
        i &+= 16 &+ n2
        return Digits(value: v, count: 16 &+ n2, next: UInt8(truncatingIfNeeded: w2 &>> UInt64(n2 &* 8)))
    }

    /// An unsigned JSON integer (1...19 digits, at most `Int64.max`) followed by `,` or `}`;
    /// the cursor stops at that byte.
    @inlinable @inline(__always)
    mutating func integer() -> Int64? {
        guard let d = digits(), d.count > 0, d.next == 0x2C || d.next == 0x7D, d.value <= UInt64(Int64.max)
        else { return nil }
        return Int64(truncatingIfNeeded: d.value)
    }

    /// The body of a decimal string (`[-]digits[.digits]`, after the opening quote) up to and
    /// including the closing quote, not yet scaled.
    @inlinable @inline(__always)
    mutating func decimal() -> RawDecimal? {
        var negative = false
        if byte(i) == 0x2D {  // '-'
            negative = true
            i &+= 1
        }
        guard let whole = digits() else { return nil }
        var next = whole.next
        var fraction = Digits(value: 0, count: 0, next: 0)
        if next == 0x2E {  // '.'
            i &+= 1
            guard let f = digits() else { return nil }
            fraction = f
            next = f.next
        }
        guard next == 0x22, whole.count &+ fraction.count > 0 else { return nil }
        i &+= 1
        return RawDecimal(integer: whole.value, fraction: fraction.value, fractionDigits: fraction.count,
                          negative: negative)
    }

    /// Skips 1...15 digits followed by `,` or `}` (an integer the event does not use).
    @inlinable @inline(__always)
    mutating func skipInteger() -> Bool {
        let m0 = JSONScan.nonDigits(load8(i))
        var n = m0.trailingZeroBitCount &>> 3
        if m0 == 0 {
            let m1 = JSONScan.nonDigits(load8(i &+ 8))
            guard m1 != 0 else { return false }
            n = 8 &+ m1.trailingZeroBitCount &>> 3
        }
        let next = byte(i &+ n)
        guard n > 0, next == 0x2C || next == 0x7D else { return false }
        i &+= n
        return true
    }

    /// `true` or `false` followed by `,` or `}`.
    @inlinable @inline(__always)
    mutating func boolean() -> Bool? {
        let w = load8(i)
        if w & 0xFF_FFFF_FFFF == Self.word("true,") || w & 0xFF_FFFF_FFFF == Self.word("true}") {
            i &+= 4
            return true
        }
        if w & 0xFFFF_FFFF_FFFF == Self.word("false,") || w & 0xFFFF_FFFF_FFFF == Self.word("false}") {
            i &+= 5
            return false
        }
        return nil
    }

    // MARK: skipping

    /// After an opening quote: consumes the string through its closing quote. False for an
    /// escape, a control byte or no closing quote (the general path handles escapes).
    @inlinable @inline(__always)
    mutating func skipString() -> Bool {
        let stop = JSONScan.firstStringStop(base, i, end)
        guard stop < end, base[stop] == 0x22 else { return false }
        i = stop &+ 1
        return true
    }

    /// After an opening quote: the string's end (the index of its closing quote), consumed.
    @inlinable @inline(__always)
    mutating func stringSpan() -> JSONSpan? {
        let start = i
        guard skipString() else { return nil }
        return JSONSpan(start: start, end: i &- 1)
    }

    /// Skips one value of any kind, with `JSONCursor.value()`'s rules; false where that would
    /// fail (or for whitespace before the value, which the general path handles).
    @inlinable
    mutating func skipValue() -> Bool {
        guard i < end else { return false }
        let c = base[i]
        if c == 0x22 {
            i &+= 1
            return skipString()
        }
        if c == 0x7B || c == 0x5B {
            guard let after = JSONScan.skipNested(base, i, end) else { return false }
            i = after
            return true
        }
        return skipToken()
    }

    /// A number, `true`, `false` or `null`: bytes up to `,` `}` `]` or whitespace, at least one.
    @inlinable @inline(__always)
    mutating func skipToken() -> Bool {
        // Digits (up to 15) followed by `,` or `}`, a word at a time; anything else byte by byte.
        var m = JSONScan.nonDigits(load8(i))
        var j = i
        if m == 0 {
            j &+= 8
            m = JSONScan.nonDigits(load8(j))
        }
        if m != 0 {
            j &+= m.trailingZeroBitCount &>> 3
            let c = byte(j)
            if j > i && (c == 0x2C || c == 0x7D) {
                i = j
                return true
            }
        }
        let start = i
        while i < end {
            let b = base[i]
            if b == 0x2C || b == 0x7D || b == 0x5D || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { break }
            i &+= 1
        }
        return i > start
    }

    // MARK: members

    /// Key codes: one- and two-byte keys as their bytes (`"pu"` = 0x7570); longer keys as
    /// `longKey | length << 8 | first byte`; `objectEnd` after the closing brace.
    @usableFromInline static let objectEnd: UInt32 = 0xFFFF_FFFF
    @usableFromInline static let failed: UInt32 = 0
    @usableFromInline static let longKey: UInt32 = 0x4000_0000

    /// At the separator before a member (`,`, or `{` for the first one) or at the closing `}`:
    /// reads `"key":` and returns its code, leaving the cursor on the value.
    ///
    /// In a top-level (unwrapped) event, keys the general path treats specially at the top level
    /// (`id`, `result`, `lastUpdateId`, a four-byte key starting with `d`, i.e. `data`) return
    /// `failed`, so that such messages are decided by the general path.
    @inlinable @inline(__always)
    mutating func key(separator: UInt8, topLevel: Bool) -> UInt32 {
        let w = load8(i)
        let c = UInt8(truncatingIfNeeded: w)
        if c == 0x7D && separator == 0x2C {
            i &+= 1
            return Self.objectEnd
        }
        guard c == separator else { return Self.failed }
        // `,"k":` and `,"kk":` with plain key bytes (not '"', '\\' or control).
        let k0 = UInt8(truncatingIfNeeded: w &>> 16), k1 = UInt8(truncatingIfNeeded: w &>> 24)
        if w & 0xFF_FF00_FFFF == 0x3A_2200_2200 | UInt64(separator) && Self.plain(k0) {
            i &+= 5
            return UInt32(k0)
        }
        if w & 0xFFFF_0000_FFFF == 0x3A22_0000_2200 | UInt64(separator) && Self.plain(k0) && Self.plain(k1) {
            i &+= 6
            let code = UInt32(k0) | UInt32(k1) &<< 8
            if topLevel && code == 0x6469 { return Self.failed }  // "id"
            return code
        }
        return longKeyCode(topLevel: topLevel)
    }

    @inlinable @inline(__always)
    static func plain(_ b: UInt8) -> Bool { b > 0x22 && b != 0x5C }

    @usableFromInline
    mutating func longKeyCode(topLevel: Bool) -> UInt32 {
        guard byte(i &+ 1) == 0x22 else { return Self.failed }
        let start = i &+ 2
        let stop = JSONScan.firstStringStop(base, start, end)
        guard stop < end, base[stop] == 0x22, byte(stop &+ 1) == 0x3A else { return Self.failed }
        let length = stop &- start
        let first = length > 0 ? base[start] : 0
        if topLevel {
            if (length == 4 && first == 0x64) || (length == 6 && first == 0x72) || (length == 12 && first == 0x6C)
                || (length == 2 && first == 0x69 && base[start &+ 1] == 0x64)
            {
                return Self.failed
            }
        }
        i = stop &+ 2
        return Self.longKey | UInt32(truncatingIfNeeded: min(length, 0xFFFF)) &<< 8 | UInt32(first)
    }
}

/// A decimal string's digits, before the symbol's scale is known.
@usableFromInline
struct RawDecimal {
    @usableFromInline var integer: UInt64
    @usableFromInline var fraction: UInt64
    @usableFromInline var fractionDigits: Int
    @usableFromInline var negative: Bool

    @inlinable
    init(integer: UInt64 = 0, fraction: UInt64 = 0, fractionDigits: Int = 0, negative: Bool = false) {
        self.integer = integer
        self.fraction = fraction
        self.fractionDigits = fractionDigits
        self.negative = negative
    }

    /// The value in units of the scale, exactly as `FixedPointValue.parse(_:scale:rounding:)`
    /// gives it (half-even when `rounding`, else digits past the scale must be zero); nil where
    /// that returns nil.
    @inlinable @inline(__always)
    func scaled(_ scale: DecimalScale, rounding: Bool = false) -> Int64? {
        let places = Int(scale.places)
        if _fastPath(fractionDigits <= places && !negative) {
            // fraction < 10^fractionDigits, so the product stays below 10^places ≤ 10^18
            let (a, o1) = integer.multipliedReportingOverflow(by: UInt64(scale.multiplier))
            let (v, o2) = a.addingReportingOverflow(fraction &* JSONScan.powerOfTen(places &- fractionDigits))
            guard !o1, !o2, v <= UInt64(Int64.max) else { return nil }
            return Int64(v)
        }
        return scaledSlow(scale, rounding: rounding)
    }

    @usableFromInline @inline(never)
    func scaledSlow(_ scale: DecimalScale, rounding: Bool) -> Int64? {
        let places = Int(scale.places)
        var (v, o1) = integer.multipliedReportingOverflow(by: UInt64(scale.multiplier))
        var o2 = false
        if fractionDigits <= places {
            (v, o2) = v.addingReportingOverflow(fraction &* JSONScan.powerOfTen(places &- fractionDigits))
        } else {
            let divisor = JSONScan.powerOfTen(fractionDigits &- places)
            let (kept, dropped) = fraction.quotientAndRemainder(dividingBy: divisor)
            (v, o2) = v.addingReportingOverflow(kept)
            if dropped != 0 {
                guard rounding else { return nil }
                let half = divisor / 2  // divisor is 10^k, k ≥ 1
                if dropped > half || (dropped == half && v & 1 == 1) {
                    let (up, o3) = v.addingReportingOverflow(1)
                    v = up
                    o2 = o2 || o3
                }
            }
        }
        guard !o1, !o2 else { return nil }
        if negative {
            guard v <= UInt64(1) &<< 63 else { return nil }
            return Int64(truncatingIfNeeded: 0 &- v)
        }
        guard v <= UInt64(Int64.max) else { return nil }
        return Int64(v)
    }
}
