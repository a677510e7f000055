/// Validates UTF-8 the way RFC 6455 §8.1 requires for text messages and close reasons: strict
/// RFC 3629 — no overlong forms, no surrogates (U+D800…U+DFFF), nothing above U+10FFFF, no
/// truncated sequences.
///
/// ## Performance
/// Runs of ASCII are skipped eight bytes at a time (Binance payloads are JSON, almost all
/// ASCII); multi-byte sequences take the branchy path. No allocation.
public enum UTF8Validator {
    @inlinable
    public static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        let n = bytes.count
        var i = 0
        while i < n {
            if i &+ 8 <= n {
                let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                if word & 0x8080_8080_8080_8080 == 0 {
                    i &+= 8
                    continue
                }
            }
            let b0 = base.load(fromByteOffset: i, as: UInt8.self)
            if b0 < 0x80 {
                i &+= 1
                continue
            }
            @inline(__always) func cont(_ k: Int) -> UInt8? {
                guard i &+ k < n else { return nil }
                let b = base.load(fromByteOffset: i &+ k, as: UInt8.self)
                return b & 0xC0 == 0x80 ? b : nil
            }
            if b0 < 0xC2 {
                return false  // stray continuation byte, or overlong 2-byte lead C0/C1
            } else if b0 < 0xE0 {
                guard cont(1) != nil else { return false }
                i &+= 2
            } else if b0 < 0xF0 {
                guard let b1 = cont(1), cont(2) != nil else { return false }
                if b0 == 0xE0 && b1 < 0xA0 { return false }  // overlong
                if b0 == 0xED && b1 > 0x9F { return false }  // surrogate
                i &+= 3
            } else if b0 < 0xF5 {
                guard let b1 = cont(1), cont(2) != nil, cont(3) != nil else { return false }
                if b0 == 0xF0 && b1 < 0x90 { return false }  // overlong
                if b0 == 0xF4 && b1 > 0x8F { return false }  // above U+10FFFF
                i &+= 4
            } else {
                return false
            }
        }
        return true
    }
}
