import TicklineCore

// The stream parser's fast path.
//
// It reads the shapes Binance actually sends: the combined-stream envelope
// `{"stream":"…","data":{"e":"<event>",…}}` (or the bare event), the event type as the first
// member, no whitespace, no escapes. The event type picks a reader that first follows that
// event's usual field order as straight-line code (one 8-byte compare per key, values converted
// as they are met) and, at the first key that is not the expected one, continues with a loop
// that takes the event's fields in any order and skips unknown ones. Field order is therefore
// expected, never assumed.
//
// Anything else (whitespace, an escape, a sign or more than 19 digits where the fast readers do
// not take them, a repeated `e`, a missing field, an invalid value, …) makes the fast path return
// `.fallback` and the message is parsed again by the general path (`parseMessage`), which gives
// the answer or the error. So the fast path only has to be right when it succeeds: it then
// returns exactly what the general path would, which BinanceStreamParserFastPathTests checks
// message by message (documentation examples, captured messages, and mutations of them).
//
// Costs (callgrind, Binance capture, whole parse per message incl. the benchmark's loop):
// bookTicker ~970 instructions, trade ~900, depthUpdate ~4 200 (its ~1.4 KB of price levels
// are skipped 64 bytes at a time with SSE2, see `JSONScan.skipNested`).

/// A fast-path event's fields, filled in any order by `WireReader.members`.
protocol FastEventFields {
    /// Reads the value of member `key` (the cursor is on the value) and returns false if it
    /// cannot be read here.
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool
}

extension WireReader {
    /// The remaining members of an object, up to and including its closing brace. `first`: the
    /// cursor is on the opening brace, not on a `,` after a member.
    @inline(__always)
    mutating func members<F: FastEventFields>(_ f: inout F, _ index: BinanceSymbolIndex, topLevel: Bool,
                                                first: Bool = false) -> Bool
    {
        var separator: UInt8 = first ? 0x7B : 0x2C
        while true {
            let k = key(separator: separator, topLevel: topLevel)
            separator = 0x2C
            if k == Self.objectEnd { return true }
            if k == Self.failed { return false }
            guard f.member(k, &self, index) else { return false }
        }
    }

    /// `"` then a decimal string.
    @inline(__always)
    mutating func quotedDecimal() -> RawDecimal? {
        guard byte(i) == 0x22 else { return nil }
        i &+= 1
        return decimal()
    }

    /// `"` then a symbol name.
    @inline(__always)
    mutating func quotedSymbol(_ index: BinanceSymbolIndex) -> UnsafePointer<BinanceSymbolIndex.Slot>? {
        guard byte(i) == 0x22 else { return nil }
        i &+= 1
        return index.lookup(&self)
    }
}

// MARK: - Field sets

struct BookTickerFields: FastEventFields {
    var updateID: Int64 = 0, eventTime: Int64 = 0
    var bid = RawDecimal(), bidQuantity = RawDecimal(), ask = RawDecimal(), askQuantity = RawDecimal()
    var symbol: UnsafePointer<BinanceSymbolIndex.Slot>? = nil
    var have: UInt32 = 0
    static let all: UInt32 = 0x7F

    init() {}

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x75:  // u
            guard let v = r.integer() else { return false }
            updateID = v
            have |= 1
        case 0x73:  // s
            guard let s = r.quotedSymbol(index) else { return false }
            symbol = s
            have |= 2
        case 0x45:  // E
            guard let v = r.integer() else { return false }
            eventTime = v
            have |= 4
        case 0x62:  // b
            guard let d = r.quotedDecimal() else { return false }
            bid = d
            have |= 8
        case 0x42:  // B
            guard let d = r.quotedDecimal() else { return false }
            bidQuantity = d
            have |= 16
        case 0x61:  // a
            guard let d = r.quotedDecimal() else { return false }
            ask = d
            have |= 32
        case 0x41:  // A
            guard let d = r.quotedDecimal() else { return false }
            askQuantity = d
            have |= 64
        case 0x65:  // a second "e": the general path decides
            return false
        default:
            return r.skipValue()
        }
        return true
    }
}

struct TradeFields: FastEventFields {
    let aggregate: Bool
    var eventTime: Int64 = 0, tradeTime: Int64 = 0, tradeID: Int64 = 0
    var price = RawDecimal(), quantity = RawDecimal()
    var buyerIsMaker = false
    var symbol: UnsafePointer<BinanceSymbolIndex.Slot>? = nil
    var have: UInt32 = 0
    static let all: UInt32 = 0x7F

    init(aggregate: Bool) { self.aggregate = aggregate }

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x45:  // E
            guard let v = r.integer() else { return false }
            eventTime = v
            have |= 1
        case 0x54:  // T
            guard let v = r.integer() else { return false }
            tradeTime = v
            have |= 2
        case 0x73:  // s
            guard let s = r.quotedSymbol(index) else { return false }
            symbol = s
            have |= 4
        case 0x74 where !aggregate, 0x61 where aggregate:  // t (trade) / a (aggTrade)
            guard let v = r.integer() else { return false }
            tradeID = v
            have |= 8
        case 0x70:  // p
            guard let d = r.quotedDecimal() else { return false }
            price = d
            have |= 16
        case 0x71:  // q
            guard let d = r.quotedDecimal() else { return false }
            quantity = d
            have |= 32
        case 0x6D:  // m
            guard let m = r.boolean() else { return false }
            buyerIsMaker = m
            have |= 64
        case 0x65:
            return false
        default:
            return r.skipValue()
        }
        return true
    }
}

struct DepthFields: FastEventFields {
    var eventTime: Int64 = 0, transactionTime: Int64 = 0
    var first: Int64 = 0, final: Int64 = 0, previousFinal: Int64 = 0
    var symbol: UnsafePointer<BinanceSymbolIndex.Slot>? = nil
    var have: UInt32 = 0
    static let all: UInt32 = 0x3F

    init() {}

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x45:  // E
            guard let v = r.integer() else { return false }
            eventTime = v
            have |= 1
        case 0x54:  // T
            guard let v = r.integer() else { return false }
            transactionTime = v
            have |= 2
        case 0x73:  // s
            guard let s = r.quotedSymbol(index) else { return false }
            symbol = s
            have |= 4
        case 0x55:  // U
            guard let v = r.integer() else { return false }
            first = v
            have |= 8
        case 0x75:  // u
            guard let v = r.integer() else { return false }
            final = v
            have |= 16
        case 0x7570:  // pu
            guard let v = r.integer() else { return false }
            previousFinal = v
            have |= 32
        case 0x65:
            return false
        default:
            return r.skipValue()
        }
        return true
    }
}

struct MarkPriceFields: FastEventFields {
    var eventTime: Int64 = 0, nextFundingTime: Int64 = 0
    var mark = RawDecimal(), indexPrice = RawDecimal(), fundingRate = RawDecimal()
    var symbol: UnsafePointer<BinanceSymbolIndex.Slot>? = nil
    var have: UInt32 = 0
    static let all: UInt32 = 0x3F

    init() {}

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x45:  // E
            guard let v = r.integer() else { return false }
            eventTime = v
            have |= 1
        case 0x73:  // s
            guard let s = r.quotedSymbol(index) else { return false }
            symbol = s
            have |= 2
        case 0x70:  // p
            guard let d = r.quotedDecimal() else { return false }
            mark = d
            have |= 4
        case 0x69:  // i
            guard let d = r.quotedDecimal() else { return false }
            indexPrice = d
            have |= 8
        case 0x72:  // r
            guard let d = r.quotedDecimal() else { return false }
            fundingRate = d
            have |= 16
        case 0x54:  // T
            guard let v = r.integer() else { return false }
            nextFundingTime = v
            have |= 32
        case 0x65:
            return false
        default:
            return r.skipValue()
        }
        return true
    }
}

/// The members of a kline's `k` object.
struct KlineBarFields: FastEventFields {
    var openTime: Int64 = 0, tradeCount: Int64 = 0
    var interval = Interval.m1
    var open = RawDecimal(), high = RawDecimal(), low = RawDecimal(), close = RawDecimal()
    var volume = RawDecimal(), quoteVolume = RawDecimal(), takerBuyVolume = RawDecimal()
    var closed = false
    var have: UInt32 = 0
    static let all: UInt32 = 0x7FF

    init() {}

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x74:  // t
            guard let v = r.integer() else { return false }
            openTime = v
            have |= 1
        case 0x69:  // i
            guard r.byte(r.i) == 0x22 else { return false }
            r.i &+= 1
            guard let span = r.stringSpan(), let iv = BinanceStreamParser.interval(span, r.base) else { return false }
            interval = iv
            have |= 2
        case 0x6F:  // o
            guard let d = r.quotedDecimal() else { return false }
            open = d
            have |= 4
        case 0x63:  // c
            guard let d = r.quotedDecimal() else { return false }
            close = d
            have |= 8
        case 0x68:  // h
            guard let d = r.quotedDecimal() else { return false }
            high = d
            have |= 16
        case 0x6C:  // l
            guard let d = r.quotedDecimal() else { return false }
            low = d
            have |= 32
        case 0x76:  // v
            guard let d = r.quotedDecimal() else { return false }
            volume = d
            have |= 64
        case 0x6E:  // n
            guard let v = r.integer() else { return false }
            tradeCount = v
            have |= 128
        case 0x78:  // x
            guard let x = r.boolean() else { return false }
            closed = x
            have |= 256
        case 0x71:  // q
            guard let d = r.quotedDecimal() else { return false }
            quoteVolume = d
            have |= 512
        case 0x56:  // V
            guard let d = r.quotedDecimal() else { return false }
            takerBuyVolume = d
            have |= 1024
        default:
            return r.skipValue()
        }
        return true
    }
}

struct KlineFields: FastEventFields {
    var eventTime: Int64 = 0
    var symbol: UnsafePointer<BinanceSymbolIndex.Slot>? = nil
    var bar = KlineBarFields()
    var have: UInt32 = 0
    static let all: UInt32 = 0x7

    init() {}

    @inline(__always)
    mutating func member(_ key: UInt32, _ r: inout WireReader, _ index: BinanceSymbolIndex) -> Bool {
        switch key {
        case 0x45:  // E
            guard let v = r.integer() else { return false }
            eventTime = v
            have |= 1
        case 0x73:  // s
            guard let s = r.quotedSymbol(index) else { return false }
            symbol = s
            have |= 2
        case 0x6B:  // k; a repeated `k` would mix two bars: the general path takes the last
            // The general path first skips `k` by bracket counting, then reads its members up
            // to that end: both must agree on where the object ends.
            guard have & 4 == 0, r.byte(r.i) == 0x7B, let end = JSONScan.skipNested(r.base, r.i, r.end),
                r.members(&bar, index, topLevel: false, first: true), r.i == end
            else { return false }
            have |= 4
        case 0x65:
            return false
        default:
            return r.skipValue()
        }
        return true
    }
}

// MARK: - Readers

extension WireReader {
    /// After a decimal string's opening quote: its value at `scale` (exact), quote consumed.
    ///
    /// Binance writes prices and sizes with exactly the symbol's decimals ("61800.20" at 2,
    /// "0.006" at 3). The closing quote is found first (the next field's position depends only
    /// on it, so the rest runs off that dependency chain); the point must then sit `places`
    /// bytes before it, with 1...8 digits in all. The point is squeezed out of the word and the
    /// digits are converted at once: that is the raw value. Anything else takes `decimal()`.
    @inline(__always)
    mutating func decimal(_ scale: DecimalScale) -> Int64? {
        let w0 = load8(i), w1 = load8(i &+ 8)
        let q0 = JSONScan.bytes(w0, equalTo: 0x22), q1 = JSONScan.bytes(w1, equalTo: 0x22)
        let length = q0 != 0 ? q0.trailingZeroBitCount &>> 3 : 8 &+ q1.trailingZeroBitCount &>> 3
        let point = length &- Int(scale.places) &- 1
        let count = length &- 1  // digits
        let shift = UInt64(truncatingIfNeeded: point &* 8) & 63
        let low = (UInt64(1) &<< shift) &- 1
        let digits = (w0 & low) | ((w0 &>> 8) & ~low) | (w1 &<< 56)  // the bytes without the point
        let digitMask = count >= 8 ? ~0 : (UInt64(1) &<< UInt64(truncatingIfNeeded: count &* 8)) &- 1
        guard point >= 0, point < 8, count > 0, count <= 8,
            UInt8(truncatingIfNeeded: w0 &>> shift) == 0x2E,
            JSONScan.nonDigits(digits) & digitMask == 0
        else { return decimalSlow(scale) }
        i &+= length &+ 1
        let aligned = (digits & 0x0F0F_0F0F_0F0F_0F0F) &<< UInt64(truncatingIfNeeded: 64 &- 8 &* count)
        return Int64(JSONScan.eightDigits(aligned))
    }

    /// `decimal(_:)` for everything else: a sign, more digits, digits past the scale, … .
    @inline(never)
    mutating func decimalSlow(_ scale: DecimalScale) -> Int64? {
        guard let d = decimal() else { return nil }
        return d.scaled(scale)
    }
}

extension BinanceStreamParser {
    /// The fast path: the kind of message it wrote into `out`, or `.fallback` to have the
    /// message parsed on the general path.
    @inline(__always)
    static func readFast(_ bytes: UnsafeRawBufferPointer, _ index: BinanceSymbolIndex, _ ingressNs: UInt64,
                         _ out: inout FastOutput) -> FastKind
    {
        guard bytes.count >= 16 else { return .fallback }
        var r = WireReader(base: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), end: bytes.count)
        let topLevel: Bool
        if r.expect("{\"stream") {
            guard r.expect("\":\""), r.skipString(), r.expect(",\"data\":"), r.expect("{\"e\":\"") else {
                return .fallback
            }
            topLevel = false
        } else if r.expect("{\"e\":\"") {
            topLevel = true
        } else {
            return .fallback
        }
        let name = r.load8(r.i)
        if name == WireReader.word("bookTick") {
            guard r.load8(r.i &+ 8) & 0xFF_FFFF == WireReader.word("er\"") else { return .fallback }
            r.i &+= 11
            let usual = bookTickerUsual(r, index, topLevel, ingressNs, &out)
            if usual != .fallback { return usual }
            return anyOrder(BookTickerFields(), r, index, topLevel, ingressNs, &out)
        }
        if name & 0xFFFF_FFFF_FFFF == WireReader.word("trade\"") {
            r.i &+= 6
            let usual = tradeUsual(r, index, topLevel, ingressNs, &out)
            if usual != .fallback { return usual }
            return anyOrder(TradeFields(aggregate: false), r, index, topLevel, ingressNs, &out)
        }
        if name == WireReader.word("depthUpd") {
            guard r.load8(r.i &+ 8) & 0xFFFF_FFFF == WireReader.word("ate\"") else { return .fallback }
            r.i &+= 12
            let usual = depthUsual(r, index, topLevel, &out)
            if usual != .fallback { return usual }
            return anyOrder(DepthFields(), r, index, topLevel, ingressNs, &out)
        }
        if name == WireReader.word("aggTrade") {
            guard r.byte(r.i &+ 8) == 0x22 else { return .fallback }
            r.i &+= 9
            let usual = aggTradeUsual(r, index, topLevel, ingressNs, &out)
            if usual != .fallback { return usual }
            return anyOrder(TradeFields(aggregate: true), r, index, topLevel, ingressNs, &out)
        }
        if name == WireReader.word("markPric") {
            guard r.load8(r.i &+ 8) == WireReader.word("eUpdate\"") else { return .fallback }
            r.i &+= 16
            return anyOrder(MarkPriceFields(), r, index, topLevel, ingressNs, &out)
        }
        if name & 0xFFFF_FFFF_FFFF == WireReader.word("kline\"") {
            r.i &+= 6
            return anyOrder(KlineFields(), r, index, topLevel, ingressNs, &out)
        }
        return .fallback
    }

    /// `,"u":…,"s":"…","b":"…","B":"…","a":"…","A":"…","T":…,"E":…}` after `"e":"bookTicker"`.
    @inline(never)
    static func bookTickerUsual(_ reader: WireReader, _ index: BinanceSymbolIndex, _ topLevel: Bool,
                                _ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind
    {
        var r = reader
        guard r.expect(",\"u\":"), let u = r.integer(),
            r.expect(",\"s\":\""), let s = index.lookup(&r)
        else { return .fallback }
        let ps = s.pointee.priceScale, qs = s.pointee.quantityScale
        guard r.expect(",\"b\":\""), let bid = r.decimal(ps),
            r.expect(",\"B\":\""), let bidQuantity = r.decimal(qs),
            r.expect(",\"a\":\""), let ask = r.decimal(ps),
            r.expect(",\"A\":\""), let askQuantity = r.decimal(qs),
            r.expect(",\"T\":"), r.skipInteger(),
            r.expect(",\"E\":"), let e = r.integer(),
            r.expect("}"), topLevel || r.byte(r.i) == 0x7D
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.pointee.id,
            body: .bookTicker(BookTicker(
                eventTimeMs: e, updateID: u, bidPrice: Price(raw: bid), bidQuantity: Quantity(raw: bidQuantity),
                askPrice: Price(raw: ask), askQuantity: Quantity(raw: askQuantity))))
        return .market
    }

    /// `,"E":…,"T":…,"s":"…","t":…,"p":"…","q":"…","X":"…","m":…}` after `"e":"trade"`.
    @inline(never)
    static func tradeUsual(_ reader: WireReader, _ index: BinanceSymbolIndex, _ topLevel: Bool,
                           _ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind
    {
        var r = reader
        guard r.expect(",\"E\":"), let e = r.integer(),
            r.expect(",\"T\":"), let t = r.integer(),
            r.expect(",\"s\":\""), let s = index.lookup(&r),
            r.expect(",\"t\":"), let id = r.integer(),
            r.expect(",\"p\":\""), let price = r.decimal(s.pointee.priceScale),
            r.expect(",\"q\":\""), let quantity = r.decimal(s.pointee.quantityScale),
            r.expect(",\"X\":\""), r.skipString(),
            r.expect(",\"m\":"), let m = r.boolean(),
            r.expect("}"), topLevel || r.byte(r.i) == 0x7D
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.pointee.id,
            body: .trade(TradeTick(
                eventTimeMs: e, tradeTimeMs: t, tradeID: id, price: Price(raw: price),
                quantity: Quantity(raw: quantity), aggressor: m ? .sell : .buy, isAggregate: false)))
        return .market
    }

    /// `,"E":…,"a":…,"s":"…","p":"…","q":"…","f":…,"l":…,"T":…,"m":…}` after `"e":"aggTrade"`.
    @inline(never)
    static func aggTradeUsual(_ reader: WireReader, _ index: BinanceSymbolIndex, _ topLevel: Bool,
                              _ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind
    {
        var r = reader
        guard r.expect(",\"E\":"), let e = r.integer(),
            r.expect(",\"a\":"), let id = r.integer(),
            r.expect(",\"s\":\""), let s = index.lookup(&r),
            r.expect(",\"p\":\""), let price = r.decimal(s.pointee.priceScale),
            r.expect(",\"q\":\""), let quantity = r.decimal(s.pointee.quantityScale),
            r.expect(",\"f\":"), r.skipInteger(),
            r.expect(",\"l\":"), r.skipInteger(),
            r.expect(",\"T\":"), let t = r.integer(),
            r.expect(",\"m\":"), let m = r.boolean(),
            r.expect("}"), topLevel || r.byte(r.i) == 0x7D
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.pointee.id,
            body: .trade(TradeTick(
                eventTimeMs: e, tradeTimeMs: t, tradeID: id, price: Price(raw: price),
                quantity: Quantity(raw: quantity), aggressor: m ? .sell : .buy, isAggregate: true)))
        return .market
    }

    /// `,"E":…,"T":…,"s":"…","U":…,"u":…,"pu":…,"b":[…],"a":[…]}` after `"e":"depthUpdate"`.
    @inline(never)
    static func depthUsual(_ reader: WireReader, _ index: BinanceSymbolIndex, _ topLevel: Bool,
                           _ out: inout FastOutput) -> FastKind
    {
        var r = reader
        guard r.expect(",\"E\":"), let e = r.integer(),
            r.expect(",\"T\":"), let t = r.integer(),
            r.expect(",\"s\":\""), let s = index.lookup(&r),
            r.expect(",\"U\":"), let first = r.integer(),
            r.expect(",\"u\":"), let final = r.integer(),
            r.expect(",\"pu\":"), let previous = r.integer(),
            r.expect(",\"b\":["), r.skipNested(),
            r.expect(",\"a\":["), r.skipNested(),
            r.expect("}"), topLevel || r.byte(r.i) == 0x7D
        else { return .fallback }
        out.depth = BinanceDepthHeader(
            symbol: s.pointee.id, eventTimeMs: e, transactionTimeMs: t, firstUpdateId: first, finalUpdateId: final,
            previousFinalUpdateId: previous)
        return .depth
    }

    /// Any event's fields in any order, unknown ones skipped (after `"e":"…"`).
    @inline(never)
    static func anyOrder<F: FastEventFields & FastEvent>(
        _ fields: F, _ reader: WireReader, _ index: BinanceSymbolIndex, _ topLevel: Bool, _ ingressNs: UInt64,
        _ out: inout FastOutput
    ) -> FastKind {
        var r = reader
        var f = fields
        guard r.members(&f, index, topLevel: topLevel), topLevel || r.byte(r.i) == 0x7D else {
            return .fallback
        }
        return f.message(ingressNs, &out)
    }
}

/// What the fast path wrote into its `FastOutput`.
@usableFromInline
enum FastKind: UInt8 {
    case fallback, market, depth
}

/// The fast path's result slots: plain structs, so results are written in place and copied
/// once, into the `Result` that `parse` returns.
@usableFromInline
struct FastOutput: Sendable {
    @usableFromInline var event = MarketEvent(
        ingressNs: 0, symbol: SymbolID(0),
        body: .trade(TradeTick(
            eventTimeMs: 0, tradeTimeMs: 0, tradeID: 0, price: .zero, quantity: .zero, aggressor: .buy,
            isAggregate: false)))
    @usableFromInline var depth = BinanceDepthHeader(
        symbol: SymbolID(0), eventTimeMs: 0, transactionTimeMs: 0, firstUpdateId: 0, finalUpdateId: 0,
        previousFinalUpdateId: 0)
}

extension WireReader {
    /// After the `[` or `{` just consumed: the rest of that array or object.
    @inline(__always)
    mutating func skipNested() -> Bool {
        guard let after = JSONScan.skipNested(base, i &- 1, end) else { return false }
        i = after
        return true
    }
}

/// A field set that can build its message once all members are read.
protocol FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind
}

extension BookTickerFields: FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind {
        guard have == Self.all, let s = symbol?.pointee,
            let bid = bid.scaled(s.priceScale), let bidQuantity = bidQuantity.scaled(s.quantityScale),
            let ask = ask.scaled(s.priceScale), let askQuantity = askQuantity.scaled(s.quantityScale)
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.id,
            body: .bookTicker(BookTicker(
                eventTimeMs: eventTime, updateID: updateID, bidPrice: Price(raw: bid),
                bidQuantity: Quantity(raw: bidQuantity), askPrice: Price(raw: ask),
                askQuantity: Quantity(raw: askQuantity))))
        return .market
    }
}

extension TradeFields: FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind {
        guard have == Self.all, let s = symbol?.pointee,
            let price = price.scaled(s.priceScale), let quantity = quantity.scaled(s.quantityScale)
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.id,
            body: .trade(TradeTick(
                eventTimeMs: eventTime, tradeTimeMs: tradeTime, tradeID: tradeID, price: Price(raw: price),
                quantity: Quantity(raw: quantity), aggressor: buyerIsMaker ? .sell : .buy, isAggregate: aggregate)))
        return .market
    }
}

extension DepthFields: FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind {
        guard have == Self.all, let s = symbol?.pointee else { return .fallback }
        out.depth = BinanceDepthHeader(
            symbol: s.id, eventTimeMs: eventTime, transactionTimeMs: transactionTime, firstUpdateId: first,
            finalUpdateId: final, previousFinalUpdateId: previousFinal)
        return .depth
    }
}

extension MarkPriceFields: FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind {
        guard have == Self.all, let s = symbol?.pointee,
            let mark = mark.scaled(s.priceScale, rounding: true),
            let indexPrice = indexPrice.scaled(s.priceScale, rounding: true),
            let funding = fundingRate.scaled(DecimalScale(places: 8))
        else { return .fallback }
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.id,
            body: .markPrice(MarkPriceUpdate(
                eventTimeMs: eventTime, markPrice: Price(raw: mark), indexPrice: Price(raw: indexPrice),
                fundingRateE8: funding, nextFundingTimeMs: nextFundingTime)))
        return .market
    }
}

extension KlineFields: FastEvent {
    func message(_ ingressNs: UInt64, _ out: inout FastOutput) -> FastKind {
        guard have == Self.all, bar.have == KlineBarFields.all, let s = symbol?.pointee else { return .fallback }
        let k = bar
        let ps = s.priceScale, qs = s.quantityScale
        guard let open = k.open.scaled(ps), let high = k.high.scaled(ps), let low = k.low.scaled(ps),
            let close = k.close.scaled(ps), let volume = k.volume.scaled(qs),
            let quoteVolume = k.quoteVolume.scaled(ps, rounding: true), let taker = k.takerBuyVolume.scaled(qs)
        else { return .fallback }
        let candle = Kline(
            eventTimeMs: eventTime, openTimeMs: k.openTime, interval: k.interval, open: Price(raw: open),
            high: Price(raw: high), low: Price(raw: low), close: Price(raw: close), volume: Quantity(raw: volume),
            quoteVolume: Price(raw: quoteVolume), takerBuyVolume: Quantity(raw: taker),
            tradeCount: UInt32(clamping: k.tradeCount))
        out.event = MarketEvent(
            ingressNs: ingressNs, symbol: s.id, body: k.closed ? .klineClosed(candle) : .klineUpdate(candle))
        return .market
    }
}
