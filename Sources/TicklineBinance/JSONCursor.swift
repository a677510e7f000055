/// A forward-only reader over JSON text in a byte buffer: spans instead of strings, no
/// allocation, no unescaping (Binance's field values never need it), no recursion limit issues
/// (nesting is skipped by depth counting).
///
/// Only what the stream parser needs; a `false`/`nil` return means malformed input, and the
/// caller turns that into an error value.
@frozen
public struct JSONSpan: Equatable, Sendable {
    public var start: Int
    public var end: Int
    @inlinable public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }
    @inlinable public var count: Int { end - start }
}

@usableFromInline
struct JSONCursor {
    @usableFromInline let base: UnsafePointer<UInt8>
    @usableFromInline let end: Int
    @usableFromInline var i: Int

    @inlinable
    init(_ bytes: UnsafeRawBufferPointer, start: Int = 0, end: Int? = nil) {
        base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        self.end = end ?? bytes.count
        i = start
    }

    @inlinable @inline(__always)
    mutating func skipWhitespace() {
        while i < end {
            let c = base[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i &+= 1 } else { return }
        }
    }

    @inlinable @inline(__always)
    mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < end, base[i] == byte else { return false }
        i &+= 1
        return true
    }

    @inlinable @inline(__always)
    func peek() -> UInt8? { i < end ? base[i] : nil }

    /// After the opening quote is consumed: the string's raw content span (escapes left as is).
    ///
    /// Finds the next '"', '\\' or control byte 16 bytes at a time (SSE2), then decides.
    @inlinable
    mutating func stringBody() -> JSONSpan? {
        let start = i
        while i < end {
            i = JSONScan.firstStringStop(base, i, end)
            guard i < end else { return nil }
            let c = base[i]
            if c == 0x22 {  // "
                let span = JSONSpan(start: start, end: i)
                i &+= 1
                return span
            }
            if c == 0x5C { i &+= 2 } else {  // backslash escapes one byte (enough to find the end)
                return nil  // control characters are not allowed in strings
            }
        }
        return nil
    }

    /// Skips one value of any kind and returns its span (strings: content without quotes).
    @inlinable
    mutating func value() -> (kind: UInt8, span: JSONSpan)? {
        skipWhitespace()
        guard i < end else { return nil }
        let c = base[i]
        switch c {
        case 0x22:  // string
            i &+= 1
            guard let s = stringBody() else { return nil }
            return (c, s)
        case 0x7B, 0x5B:  // { [ : skip to the matching bracket, strings aware
            let start = i
            if let after = JSONScan.skipNested(base, i, end) {  // 64 bytes at a time, when it can decide
                i = after
                return (c, JSONSpan(start: start, end: i))
            }
            var depth = 0
            while i < end {
                let b = base[i]
                if b == 0x22 {
                    i &+= 1
                    guard stringBody() != nil else { return nil }
                    continue
                }
                if b == 0x7B || b == 0x5B { depth &+= 1 }
                else if b == 0x7D || b == 0x5D {
                    depth &-= 1
                    if depth == 0 {
                        i &+= 1
                        return (c, JSONSpan(start: start, end: i))
                    }
                }
                i &+= 1
            }
            return nil
        default:  // number, true, false, null
            let start = i
            while i < end {
                let b = base[i]
                if b == 0x2C || b == 0x7D || b == 0x5D || b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 { break }
                i &+= 1
            }
            guard i > start else { return nil }
            return (c, JSONSpan(start: start, end: i))
        }
    }

    /// Visits each member of the object starting at the cursor: key span, value kind and span.
    /// The visitor returns false to stop early. False on malformed input.
    @inlinable
    mutating func members(_ visit: (JSONSpan, UInt8, JSONSpan) -> Bool) -> Bool {
        guard consume(0x7B) else { return false }
        skipWhitespace()
        if peek() == 0x7D {
            i &+= 1
            return true
        }
        while true {
            guard consume(0x22), let key = stringBody(), consume(0x3A), let (kind, span) = value() else { return false }
            if !visit(key, kind, span) { return true }
            skipWhitespace()
            guard let c = peek() else { return false }
            i &+= 1
            if c == 0x7D { return true }
            if c != 0x2C { return false }
        }
    }
}
