import ParserBenchSupport
import TicklineBinance
import TicklineCore

/// A what-if, not the engine's parser: BinanceStreamParser's own algorithm (same cursor loops,
/// same order-independent member walk, same decimal conversion, same messages out) with one change:
/// the `data` object is parsed **in place** while walking the envelope, instead of being skipped
/// byte by byte to find its span and then walked again. It handles only the kinds in the capture
/// (trade, bookTicker, depthUpdate, snapshot) and must produce the same checksum.
struct ProbeCursor {
    let base: UnsafePointer<UInt8>
    let end: Int
    var i: Int

    @inline(__always) mutating func skipWhitespace() {
        while i < end {
            let c = base[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i &+= 1 } else { return }
        }
    }
    @inline(__always) mutating func consume(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard i < end, base[i] == byte else { return false }
        i &+= 1
        return true
    }
    @inline(__always) func peek() -> UInt8? { i < end ? base[i] : nil }

    mutating func stringBody() -> JSONSpan? {
        let start = i
        while i < end {
            let c = base[i]
            if c == 0x22 { let s = JSONSpan(start: start, end: i); i &+= 1; return s }
            if c == 0x5C { i &+= 2 } else { if c < 0x20 { return nil }; i &+= 1 }
        }
        return nil
    }

    mutating func value() -> (kind: UInt8, span: JSONSpan)? {
        skipWhitespace()
        guard i < end else { return nil }
        let c = base[i]
        switch c {
        case 0x22:
            i &+= 1
            guard let s = stringBody() else { return nil }
            return (c, s)
        case 0x7B, 0x5B:
            let start = i
            var depth = 0
            while i < end {
                let b = base[i]
                if b == 0x22 { i &+= 1; guard stringBody() != nil else { return nil }; continue }
                if b == 0x7B || b == 0x5B { depth &+= 1 } else if b == 0x7D || b == 0x5D {
                    depth &-= 1
                    if depth == 0 { i &+= 1; return (c, JSONSpan(start: start, end: i)) }
                }
                i &+= 1
            }
            return nil
        default:
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

    /// Like JSONCursor.members, but the visitor gets the cursor at the value and may consume it
    /// itself (returns true) or leave it to be skipped (returns false).
    mutating func members(_ visit: (JSONSpan, inout ProbeCursor) -> Bool?) -> Bool {
        guard consume(0x7B) else { return false }
        skipWhitespace()
        if peek() == 0x7D { i &+= 1; return true }
        while true {
            guard consume(0x22), let key = stringBody(), consume(0x3A) else { return false }
            skipWhitespace()
            switch visit(key, &self) {
            case .some(true): break
            case .some(false): guard value() != nil else { return false }
            case .none: return false
            }
            skipWhitespace()
            guard let c = peek() else { return false }
            i &+= 1
            if c == 0x7D { return true }
            if c != 0x2C { return false }
        }
    }
}

struct ProbeFields {
    var e: JSONSpan?, E: JSONSpan?, T: JSONSpan?, s: JSONSpan?, t: JSONSpan?, p: JSONSpan?, q: JSONSpan?
    var m: JSONSpan?, a: JSONSpan?, u: JSONSpan?, b: JSONSpan?, B: JSONSpan?, A: JSONSpan?, U: JSONSpan?
    var pu: JSONSpan?, lastUpdateId: JSONSpan?
}

struct ProbeError: Error {}

@inline(__always)
func probeRecord(_ key: JSONSpan, _ c: inout ProbeCursor, _ f: inout ProbeFields) -> Bool? {
    let base = c.base
    if key.count == 1 || (key.count == 2 && base[key.start] == 0x70 && base[key.start + 1] == 0x75) {
        guard let (_, v) = c.value() else { return nil }
        if key.count == 2 { f.pu = v; return true }
        switch base[key.start] {
        case 0x65: f.e = v
        case 0x45: f.E = v
        case 0x54: f.T = v
        case 0x73: f.s = v
        case 0x74: f.t = v
        case 0x70: f.p = v
        case 0x71: f.q = v
        case 0x6D: f.m = v
        case 0x61: f.a = v
        case 0x75: f.u = v
        case 0x62: f.b = v
        case 0x42: f.B = v
        case 0x41: f.A = v
        case 0x55: f.U = v
        default: break
        }
        return true
    }
    return false
}

func probeInteger(_ s: JSONSpan?, _ base: UnsafePointer<UInt8>) throws(ProbeError) -> Int64 {
    guard let s, s.count > 0 else { throw ProbeError() }
    var v: Int64 = 0
    for j in s.start..<s.end {
        let d = base[j] &- 0x30
        guard d < 10 else { throw ProbeError() }
        let (m, o1) = v.multipliedReportingOverflow(by: 10)
        let (r, o2) = m.addingReportingOverflow(Int64(d))
        guard !o1, !o2 else { throw ProbeError() }
        v = r
    }
    return v
}

func probeFixed(_ s: JSONSpan?, _ base: UnsafePointer<UInt8>, _ scale: DecimalScale) throws(ProbeError) -> Int64 {
    guard let s, let v = Price.parse(UnsafeRawBufferPointer(start: base + s.start, count: s.count), scale: scale)
    else { throw ProbeError() }
    return v.raw
}

/// Folds the message into `h` exactly as `fold` would (BinanceDepthHeader has no public init,
/// so the depth header's fields are folded directly).
func probeParse(_ bytes: UnsafeRawBufferPointer, _ symbols: BinanceSymbols, _ h: inout UInt64) throws(ProbeError) {
    let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
    var c = ProbeCursor(base: base, end: bytes.count, i: 0)
    var f = ProbeFields()
    let ok = c.members { key, cur in
        if key.count == 4 && base[key.start] == 0x64 && cur.peek() == 0x7B {  // "data": walk it in place
            return cur.members { k, cc in probeRecord(k, &cc, &f) } ? true : nil
        }
        if key.count == 12 && base[key.start] == 0x6C {  // lastUpdateId
            guard let (_, v) = cur.value() else { return nil }
            f.lastUpdateId = v
            return true
        }
        return probeRecord(key, &cur, &f)
    }
    guard ok else { throw ProbeError() }
    if let id = f.lastUpdateId {
        fold(&h, .success(.depthSnapshot(lastUpdateId: try probeInteger(id, base), eventTimeMs: try probeInteger(f.E, base),
                                         transactionTimeMs: try probeInteger(f.T, base))))
        return
    }
    guard let e = f.e, let s = f.s,
          let sym = symbols.id(UnsafeRawBufferPointer(start: base + s.start, count: s.count)) else { throw ProbeError() }
    let ps = symbols.priceScales[sym.index], qs = symbols.quantityScales[sym.index]
    switch (e.count, base[e.start]) {
    case (5, 0x74):  // trade
        guard let m = f.m else { throw ProbeError() }
        let t = TradeTick(eventTimeMs: try probeInteger(f.E, base), tradeTimeMs: try probeInteger(f.T, base),
                          tradeID: try probeInteger(f.t, base), price: Price(raw: try probeFixed(f.p, base, ps)),
                          quantity: Quantity(raw: try probeFixed(f.q, base, qs)),
                          aggressor: base[m.start] == 0x74 ? .sell : .buy, isAggregate: false)
        fold(&h, .success(.market(MarketEvent(ingressNs: 0, symbol: sym, body: .trade(t)))))
    case (10, 0x62):  // bookTicker
        let b = BookTicker(eventTimeMs: try probeInteger(f.E, base), updateID: try probeInteger(f.u, base),
                           bidPrice: Price(raw: try probeFixed(f.b, base, ps)), bidQuantity: Quantity(raw: try probeFixed(f.B, base, qs)),
                           askPrice: Price(raw: try probeFixed(f.a, base, ps)), askQuantity: Quantity(raw: try probeFixed(f.A, base, qs)))
        fold(&h, .success(.market(MarketEvent(ingressNs: 0, symbol: sym, body: .bookTicker(b)))))
    case (11, 0x64):  // depthUpdate
        let E = try probeInteger(f.E, base), T = try probeInteger(f.T, base), U = try probeInteger(f.U, base)
        let u = try probeInteger(f.u, base), pu = try probeInteger(f.pu, base)
        mix(&h, 3); mix(&h, Int64(sym.index)); mix(&h, E); mix(&h, T); mix(&h, U); mix(&h, u); mix(&h, pu)
    default:
        throw ProbeError()
    }
}

@inline(never)
func singlePassProbe(_ symbols: BinanceSymbols, _ capture: Capture) -> UInt64 {
    var h = checksumSeed
    for i in 0..<capture.count {
        do {
            try probeParse(capture.message(i), symbols, &h)
        } catch {
            fold(&h, .failure(.malformedJSON))
        }
    }
    return h
}
