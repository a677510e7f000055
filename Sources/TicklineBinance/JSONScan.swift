#if arch(x86_64)
internal import _Builtin_intrinsics.intel
#endif

/// Word-at-a-time helpers for the stream parser's fast path: SWAR (8 bytes in a `UInt64`) digit
/// and byte-class tests, and SSE2 scans (16 bytes at a time for string ends, 64 for nested
/// values).
///
/// The SWAR masks set bit 7 of matching bytes. Only the lowest set bit is exact: a matching byte
/// can carry or borrow into the bytes above it, never below, so callers only ever ask for the
/// first match (`trailingZeroBitCount / 8`) or whether there is one (`!= 0`). That is what makes
/// them 3–4 instructions. SSE2 is part of x86-64's baseline, so no target flag is needed; other
/// architectures use the SWAR/scalar versions, which the tests also cover.
@usableFromInline
enum JSONScan {
    @usableFromInline static let ones: UInt64 = 0x0101_0101_0101_0101
    @usableFromInline static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Bit 7 of the first zero byte of `y` (see the type's note on exactness).
    @inlinable @inline(__always)
    static func zeroBytes(_ y: UInt64) -> UInt64 {
        (y &- ones) & ~y & highs
    }

    /// Bit 7 of the first byte of `w` equal to `byte`.
    @inlinable @inline(__always)
    static func bytes(_ w: UInt64, equalTo byte: UInt8) -> UInt64 {
        zeroBytes(w ^ (UInt64(byte) &* ones))
    }

    /// Bit 7 of the first byte of `w` below 0x20 (a JSON control character).
    @inlinable @inline(__always)
    static func controlBytes(_ w: UInt64) -> UInt64 {
        (w &- 0x2020_2020_2020_2020) & ~w & highs
    }

    /// Bit 7 of the first byte of `w` that is not an ASCII digit: bytes above '9' reach 0x80
    /// when 0x46 is added (or already have bit 7), bytes below '0' borrow when 0x30 is taken.
    @inlinable @inline(__always)
    static func nonDigits(_ w: UInt64) -> UInt64 {
        ((w &+ 0x4646_4646_4646_4646) | (w &- 0x3030_3030_3030_3030)) & highs
    }

    /// Bit 7 of the first byte that ends a JSON string scan: '"', '\\' or a control character.
    @inlinable @inline(__always)
    static func stringStops(_ w: UInt64) -> UInt64 {
        bytes(w, equalTo: 0x22) | bytes(w, equalTo: 0x5C) | controlBytes(w)
    }

    /// The value of 8 digit bytes (first digit in the lowest byte), each already masked to 0...9.
    /// (The fast_float / simdjson "eight digits" reduction: 3 multiplications.)
    @inlinable @inline(__always)
    static func eightDigits(_ d: UInt64) -> UInt64 {
        let v = d &* 10 &+ (d &>> 8)
        return (((v & 0x0000_00FF_0000_00FF) &* 0x000F_4240_0000_0064)
            &+ (((v &>> 16) & 0x0000_00FF_0000_00FF) &* 0x0000_2710_0000_0001)) &>> 32
    }

    /// The value of the first `n` (1...7) digit bytes of `w`.
    @inlinable @inline(__always)
    static func leadingDigits(_ w: UInt64, _ n: Int) -> UInt64 {
        eightDigits((w & 0x0F0F_0F0F_0F0F_0F0F) &<< UInt64(64 &- 8 &* n))
    }

    /// 10^n for n in 0...19 (a switch LLVM turns into a table).
    @inlinable @inline(__always)
    static func powerOfTen(_ n: Int) -> UInt64 {
        switch n {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }

    // MARK: string ends

    /// The index of the first '"', '\\' or control byte at or after `i` (before `end`), or `end`.
    /// Stream names and short values end within 32 bytes: those two blocks are inlined.
    @inlinable @inline(__always)
    static func firstStringStop(_ base: UnsafePointer<UInt8>, _ i: Int, _ end: Int) -> Int {
        #if arch(x86_64)
        if _fastPath(i &+ 32 <= end) {
            let m = stringStopMask(base + i) | stringStopMask(base + (i &+ 16)) &<< 16
            if _fastPath(m != 0) { return i &+ m.trailingZeroBitCount }
            return firstStringStopSSE2(base, i &+ 32, end)
        }
        return firstStringStopSSE2(base, i, end)
        #else
        return firstStringStopSWAR(base, i, end)
        #endif
    }

    @inlinable
    static func firstStringStopSWAR(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i &+ 8 <= end {
            let m = stringStops(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self))
            if m != 0 { return i &+ m.trailingZeroBitCount &>> 3 }
            i &+= 8
        }
        while i < end {
            let c = base[i]
            if c == 0x22 || c == 0x5C || c < 0x20 { return i }
            i &+= 1
        }
        return end
    }

    #if arch(x86_64)
    @usableFromInline @inline(__always)
    static func stringStopMask(_ p: UnsafePointer<UInt8>) -> UInt32 {
        let v = _mm_loadu_si128(UnsafeRawPointer(p).assumingMemoryBound(to: __m128i.self))
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x22))
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x5C))
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v)
        return UInt32(truncatingIfNeeded: _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)))
    }

    @usableFromInline
    static func firstStringStopSSE2(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int {
        var i = start
        while i &+ 16 <= end {
            let m = stringStopMask(base + i)
            if m != 0 { return i &+ m.trailingZeroBitCount }
            i &+= 16
        }
        if i < end, end >= 16 {  // the last partial block, as an overlapping load ending at `end`
            let m = stringStopMask(base + (end &- 16)) &>> UInt32(16 &- (end &- i))
            return m != 0 ? i &+ m.trailingZeroBitCount : end
        }
        return firstStringStopSWAR(base, i, end)
    }
    #endif

    // MARK: nested values

    /// The index just past the bracket that closes the array or object opening at `start`,
    /// counting `{`/`[` up and `}`/`]` down outside strings (exactly as `JSONCursor.value()`).
    /// Nil when the fast scan cannot decide (a backslash, a control or non-ASCII byte, or no
    /// close before `end`): the caller then takes the byte-by-byte path, which also reports
    /// malformed input.
    @inlinable
    static func skipNested(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        #if arch(x86_64)
        return skipNestedSSE2(base, start, end)
        #else
        return skipNestedScalar(base, start, end)
        #endif
    }

    /// `skipNested` byte by byte (other architectures; the tests' reference): nil for a string
    /// with an escape (left to the caller's byte-by-byte path), a control byte, or no close.
    @usableFromInline
    static func skipNestedScalar(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        var i = start, depth = 0
        while i < end {
            let b = base[i]
            if b == 0x22 {
                let stop = firstStringStopSWAR(base, i &+ 1, end)
                guard stop < end, base[stop] == 0x22 else { return nil }
                i = stop &+ 1
                continue
            }
            if b == 0x7B || b == 0x5B {
                depth &+= 1
            } else if b == 0x7D || b == 0x5D {
                depth &-= 1
                if depth == 0 { return i &+ 1 }
            }
            i &+= 1
        }
        return nil
    }

    #if arch(x86_64)
    @usableFromInline
    struct BlockMasks {
        var quotes: UInt32, opens: UInt32, closes: UInt32, stops: UInt32
    }

    @usableFromInline @inline(__always)
    static func blockMasks(_ p: UnsafePointer<UInt8>) -> BlockMasks {
        let v = _mm_loadu_si128(UnsafeRawPointer(p).assumingMemoryBound(to: __m128i.self))
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x22))
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x5C))
        let control = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1F)), v)
        let folded = _mm_or_si128(v, _mm_set1_epi8(0x20))  // '[' → '{', ']' → '}'
        let open = _mm_cmpeq_epi8(folded, _mm_set1_epi8(0x7B))
        let close = _mm_cmpeq_epi8(folded, _mm_set1_epi8(0x7D))
        return BlockMasks(
            quotes: UInt32(truncatingIfNeeded: _mm_movemask_epi8(quote)),
            opens: UInt32(truncatingIfNeeded: _mm_movemask_epi8(open)),
            closes: UInt32(truncatingIfNeeded: _mm_movemask_epi8(close)),
            stops: UInt32(truncatingIfNeeded: _mm_movemask_epi8(_mm_or_si128(backslash, control))))
    }

    /// The number of set bits of a mask that usually has none or one (x86-64's baseline has no
    /// `popcnt`: the library fallback costs ~15 instructions).
    @inline(__always)
    static func sparseCount(_ x: UInt64) -> Int {
        let rest = x & (x &- 1)
        return (x != 0 ? 1 : 0) &+ (rest == 0 ? 0 : denseCount(rest))
    }

    @inline(never)
    static func denseCount(_ x: UInt64) -> Int { x.nonzeroBitCount }

    /// 64 bytes as four 16-byte blocks, masks merged into 64-bit words (bit k = byte k).
    /// `stops` is only zero or not: it flags backslashes, control bytes and, to save an
    /// instruction per block, bytes ≥ 0x80 too (a signed compare), which only sends non-ASCII
    /// input to the byte-by-byte path.
    @usableFromInline @inline(__always)
    static func blockMasks64(_ p: UnsafePointer<UInt8>)
        -> (quotes: UInt64, opens: UInt64, closes: UInt64, stops: Bool)
    {
        @inline(__always) func load(_ k: Int) -> __m128i {
            _mm_loadu_si128(UnsafeRawPointer(p + k).assumingMemoryBound(to: __m128i.self))
        }
        let v0 = load(0), v1 = load(16), v2 = load(32), v3 = load(48)
        let backslash = _mm_set1_epi8(0x5C), space = _mm_set1_epi8(0x20)
        @inline(__always) func stops(_ v: __m128i) -> __m128i {
            _mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmplt_epi8(v, space))
        }
        let anyStop = _mm_or_si128(_mm_or_si128(stops(v0), stops(v1)), _mm_or_si128(stops(v2), stops(v3)))
        @inline(__always) func mask(_ f: (__m128i) -> __m128i) -> UInt64 {
            UInt64(UInt32(truncatingIfNeeded: _mm_movemask_epi8(f(v0))))
                | UInt64(UInt32(truncatingIfNeeded: _mm_movemask_epi8(f(v1)))) &<< 16
                | UInt64(UInt32(truncatingIfNeeded: _mm_movemask_epi8(f(v2)))) &<< 32
                | UInt64(UInt32(truncatingIfNeeded: _mm_movemask_epi8(f(v3)))) &<< 48
        }
        let quote = _mm_set1_epi8(0x22), open = _mm_set1_epi8(0x7B), close = _mm_set1_epi8(0x7D)
        return (mask { _mm_cmpeq_epi8($0, quote) },
                mask { _mm_cmpeq_epi8(_mm_or_si128($0, space), open) },  // '[' | 0x20 == '{'
                mask { _mm_cmpeq_epi8(_mm_or_si128($0, space), close) },
                _mm_movemask_epi8(anyStop) != 0)
    }

    @usableFromInline
    static func skipNestedSSE2(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> Int? {
        // Past the opening bracket (the caller saw it), at depth 1.
        var i = start &+ 1
        var depth = 1
        var inString: UInt64 = 0  // all ones while the previous block ended inside a string
        guard end >= 64 else { return skipNestedShort(base, i, end, depth) }
        while i < end {
            var m: (quotes: UInt64, opens: UInt64, closes: UInt64, stops: Bool)
            if _fastPath(i &+ 64 <= end) {
                m = blockMasks64(base + i)
            } else {  // the last, partial block: the 64 bytes ending at `end`, shifted into place
                let shift = UInt64(64 &- (end &- i))
                m = blockMasks64(base + (end &- 64))
                m.quotes &>>= shift
                m.opens &>>= shift
                m.closes &>>= shift
                // `stops` may come from bytes already passed (they were checked there): harmless
            }
            if m.stops { return nil }
            // Inside-string bytes: prefix XOR of the quote bits (opening quote in, closing out).
            var s = m.quotes
            s ^= s &<< 1
            s ^= s &<< 2
            s ^= s &<< 4
            s ^= s &<< 8
            s ^= s &<< 16
            s ^= s &<< 32
            s ^= inString
            inString = 0 &- (s &>> 63)
            let opens = m.opens & ~s, closes = m.closes & ~s
            // Adding 1 just after each open bracket carries through the non-bracket bytes and
            // lands on the next bracket. A close landed on pairs with the open before it: the
            // pair leaves the depth as it was, and the depth cannot first reach zero at such a
            // close (it would have been zero before the open). An open landed on follows an
            // unpaired open; the last bracket, if an open, is unpaired too.
            let brackets = opens | closes
            let landed = (~brackets &+ (opens &<< 1)) & brackets
            let unpairedCloses = closes & ~landed
            let closing = sparseCount(unpairedCloses)
            if _fastPath(depth > closing) {  // cannot reach zero in this block
                depth &+= sparseCount(landed & opens) &+ (opens > closes ? 1 : 0) &- closing
                i &+= 64
                continue
            }
            var b = brackets
            while b != 0 {
                let t = b.trailingZeroBitCount
                if (opens &>> UInt64(t)) & 1 != 0 {
                    depth &+= 1
                } else {
                    depth &-= 1
                    if depth == 0 { return i &+ t &+ 1 }
                }
                b &= b &- 1
            }
            i &+= 64
        }
        return nil
    }

    /// `skipNestedSSE2` for messages under 64 bytes: 16 bytes at a time, the last block
    /// overlapping (the message is at least 16 bytes long, or nil).
    @usableFromInline
    static func skipNestedShort(_ base: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ startDepth: Int)
        -> Int?
    {
        guard end >= 16 else { return nil }
        var i = start, depth = startDepth
        var inString: UInt32 = 0
        while i < end {
            var m: BlockMasks
            if i &+ 16 <= end {
                m = blockMasks(base + i)
            } else {
                let shift = UInt32(16 &- (end &- i))
                m = blockMasks(base + (end &- 16))
                m.quotes &>>= shift
                m.opens &>>= shift
                m.closes &>>= shift
            }
            if m.stops != 0 { return nil }
            var s = m.quotes
            s ^= s &<< 1
            s ^= s &<< 2
            s ^= s &<< 4
            s ^= s &<< 8
            s = (s ^ inString) & 0xFFFF
            inString = (0 &- ((s &>> 15) & 1)) & 0xFFFF
            var b = (m.opens | m.closes) & ~s
            while b != 0 {
                let t = b.trailingZeroBitCount
                if (m.opens &>> UInt32(t)) & 1 != 0 {
                    depth &+= 1
                } else {
                    depth &-= 1
                    if depth == 0 { return i &+ t &+ 1 }
                }
                b &= b &- 1
            }
            i &+= 16
        }
        return nil
    }
    #endif
}
