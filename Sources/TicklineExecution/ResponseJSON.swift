/// A byte range of a response body (strings: their content, without the quotes).
public struct ResponseSpan: Sendable, Equatable {
    public var start: Int
    public var end: Int
    public var count: Int { end - start }
}

/// A forward-only reader for the REST answers the order gateway parses (an order, an algo
/// order, a position row, a balance row, a listen key): visits an object's members or an
/// array's elements as spans of the body, in place, no allocation. Escapes are skipped over,
/// not decoded (none of the fields read here can hold one). `false` means malformed input.
///
/// The wire protocol module's own reader is internal to it, and these responses are the order
/// gateway's business, so this small one lives here.
enum ResponseJSON {
    /// JSON kinds by first byte: '"' string, '{' object, '[' array, anything else a scalar.
    static let string: UInt8 = 0x22, object: UInt8 = 0x7B, array: UInt8 = 0x5B

    static func members(_ body: UnsafeRawBufferPointer, _ span: ResponseSpan? = nil,
                        _ visit: (_ key: ResponseSpan, _ kind: UInt8, _ value: ResponseSpan) -> Void) -> Bool
    {
        var i = span?.start ?? 0
        let end = span?.end ?? body.count
        guard skipSpace(body, &i, end), body[i] == object else { return false }
        i += 1
        guard skipSpace(body, &i, end) else { return false }
        if body[i] == 0x7D { return true }
        while true {
            guard skipSpace(body, &i, end), body[i] == string else { return false }
            i += 1
            guard let key = stringBody(body, &i, end), skipSpace(body, &i, end), body[i] == 0x3A else { return false }
            i += 1
            guard let (kind, value) = self.value(body, &i, end) else { return false }
            visit(key, kind, value)
            guard skipSpace(body, &i, end) else { return false }
            let c = body[i]
            i += 1
            if c == 0x7D { return true }
            guard c == 0x2C else { return false }
        }
    }

    static func elements(_ body: UnsafeRawBufferPointer, _ span: ResponseSpan? = nil,
                         _ visit: (_ kind: UInt8, _ value: ResponseSpan) -> Void) -> Bool
    {
        var i = span?.start ?? 0
        let end = span?.end ?? body.count
        guard skipSpace(body, &i, end), body[i] == array else { return false }
        i += 1
        guard skipSpace(body, &i, end) else { return false }
        if body[i] == 0x5D { return true }
        while true {
            guard let (kind, value) = self.value(body, &i, end) else { return false }
            visit(kind, value)
            guard skipSpace(body, &i, end) else { return false }
            let c = body[i]
            i += 1
            if c == 0x5D { return true }
            guard c == 0x2C else { return false }
        }
    }

    /// True when a non-space byte remains before `end`.
    static func skipSpace(_ b: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) -> Bool {
        while i < end, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i < end
    }

    /// After an opening quote: the content up to the closing one.
    static func stringBody(_ b: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) -> ResponseSpan? {
        let start = i
        while i < end {
            let c = b[i]
            if c == 0x22 {
                i += 1
                return ResponseSpan(start: start, end: i - 1)
            }
            if c == 0x5C { i += 2 } else {
                guard c >= 0x20 else { return nil }
                i += 1
            }
        }
        return nil
    }

    static func value(_ b: UnsafeRawBufferPointer, _ i: inout Int, _ end: Int) -> (UInt8, ResponseSpan)? {
        guard skipSpace(b, &i, end) else { return nil }
        let c = b[i]
        if c == string {
            i += 1
            return stringBody(b, &i, end).map { (c, $0) }
        }
        let start = i
        if c == object || c == array {
            var depth = 0
            while i < end {
                let x = b[i]
                if x == 0x22 {
                    i += 1
                    guard stringBody(b, &i, end) != nil else { return nil }
                    continue
                }
                if x == 0x7B || x == 0x5B { depth += 1 } else if x == 0x7D || x == 0x5D {
                    depth -= 1
                    if depth == 0 {
                        i += 1
                        return (c, ResponseSpan(start: start, end: i))
                    }
                }
                i += 1
            }
            return nil
        }
        while i < end {
            let x = b[i]
            if x == 0x2C || x == 0x7D || x == 0x5D || x == 0x20 || x == 0x0A || x == 0x0D || x == 0x09 { break }
            i += 1
        }
        return i > start ? (c, ResponseSpan(start: start, end: i)) : nil
    }

    // MARK: field helpers

    static func slice(_ b: UnsafeRawBufferPointer, _ s: ResponseSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: b[s.start..<s.end])
    }

    static func equals(_ b: UnsafeRawBufferPointer, _ s: ResponseSpan, _ literal: StaticString) -> Bool {
        guard s.count == literal.utf8CodeUnitCount else { return false }
        for j in 0..<s.count where b[s.start + j] != literal.utf8Start[j] { return false }
        return true
    }

    static func int(_ b: UnsafeRawBufferPointer, _ s: ResponseSpan) -> Int64? {
        guard s.count > 0 else { return nil }
        var i = s.start
        let negative = b[i] == 0x2D
        if negative { i += 1 }
        guard i < s.end else { return nil }
        var v: Int64 = 0
        while i < s.end {
            let d = b[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { return nil }
            v = a
            i += 1
        }
        return negative ? -v : v
    }

    static func string(_ b: UnsafeRawBufferPointer, _ s: ResponseSpan) -> String {
        String(decoding: slice(b, s), as: UTF8.self)
    }
}
