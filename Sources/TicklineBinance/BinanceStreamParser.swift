import TicklineCore

/// What one WebSocket message from Binance's USD-M streams turned into.
public enum BinanceStreamMessage: Sendable {
    /// trade, aggTrade, bookTicker, markPriceUpdate, kline (update or closed).
    case market(MarketEvent)
    /// A diff depth update's sequence numbers (the engine keeps no book yet).
    case depth(BinanceDepthHeader)
    /// A REST depth snapshot line (as in recorded captures).
    case depthSnapshot(lastUpdateId: Int64, eventTimeMs: Int64, transactionTimeMs: Int64)
    /// A reply to SUBSCRIBE/UNSUBSCRIBE (`{"result":null,"id":1}`).
    case reply(id: Int64)
    /// A valid event the parse stage does not use (24hrTicker, forceOrder, …).
    case ignored
}

@frozen
public struct BinanceDepthHeader: Sendable, Equatable {
    public var symbol: SymbolID
    public var eventTimeMs: Int64
    public var transactionTimeMs: Int64
    public var firstUpdateId: Int64
    public var finalUpdateId: Int64
    public var previousFinalUpdateId: Int64
}

/// Why a message could not be parsed. One byte, counted per kind; never a crash.
public enum BinanceParseError: UInt8, Error, Sendable, CaseIterable {
    case malformedJSON
    case missingField
    case badNumber
    case badDecimal
    case unknownSymbol
    case unknownEvent
}

/// Parses Binance USD-M stream messages straight from the receive buffer into the core's
/// fixed-size events: the combined-stream envelope or a raw event, fields in any order, unknown
/// fields skipped, decimal strings straight into fixed-point at the symbol's scale.
///
/// ## Performance
/// Two paths, no allocation, no `String`, no Foundation. The fast path
/// (BinanceStreamParser+FastPath.swift) reads the shapes Binance sends in one pass, 8 bytes at
/// a time: the event type first, then the event's usual field order as straight-line code,
/// then any order; it declines anything unusual. The general path (`parseMessage`) takes what
/// it declines: one pass to find the value spans of the fields it needs, then one conversion
/// per field, and it decides every error. On the recorded capture (`scripts/parser-bench.sh`)
/// the fast path takes every stream message, at about twice simdjson ondemand's throughput.
public struct BinanceStreamParser: Sendable {
    public let symbols: BinanceSymbols
    public private(set) var parsed = 0
    /// Errors by `BinanceParseError.rawValue`.
    public private(set) var errors: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)

    /// The fast path's symbol table (built from `symbols`).
    let index: BinanceSymbolIndex
    /// The fast path's result slots, reused for every message.
    @usableFromInline var fastOutput = FastOutput()

    public init(symbols: BinanceSymbols) {
        self.symbols = symbols
        self.index = BinanceSymbolIndex(symbols)
    }

    public func errorCount(_ kind: BinanceParseError) -> UInt64 {
        switch kind {
        case .malformedJSON: return errors.0
        case .missingField: return errors.1
        case .badNumber: return errors.2
        case .badDecimal: return errors.3
        case .unknownSymbol: return errors.4
        case .unknownEvent: return errors.5
        }
    }

    public var totalErrors: UInt64 { errors.0 + errors.1 + errors.2 + errors.3 + errors.4 + errors.5 }

    /// Parses one message; errors are counted here and returned.
    ///
    /// Inlinable so that the caller's `switch` on the result reads the event straight from the
    /// parser's result slot: built behind a call, the 129-byte `Result` is copied twice more.
    @inlinable
    public mutating func parse(_ message: UnsafeRawBufferPointer, ingressNs: UInt64)
        -> Result<BinanceStreamMessage, BinanceParseError>
    {
        switch parseFast(message, ingressNs: ingressNs) {
        case .market: return .success(.market(fastOutput.event))
        case .depth: return .success(.depth(fastOutput.depth))
        case .fallback: return parseGeneral(message, ingressNs: ingressNs)
        }
    }

    /// The fast path (see BinanceStreamParser+FastPath.swift): the kind of message it wrote into
    /// `fastOutput`, or `.fallback`.
    @usableFromInline
    mutating func parseFast(_ message: UnsafeRawBufferPointer, ingressNs: UInt64) -> FastKind {
        let kind = Self.readFast(message, index, ingressNs, &fastOutput)
        if kind != .fallback { parsed &+= 1 }
        return kind
    }

    /// The general path alone (the fast path's fallback; tests compare the two).
    @usableFromInline @inline(never)
    mutating func parseGeneral(_ message: UnsafeRawBufferPointer, ingressNs: UInt64)
        -> Result<BinanceStreamMessage, BinanceParseError>
    {
        do {
            let m = try Self.parseMessage(message, symbols: symbols, ingressNs: ingressNs)
            parsed &+= 1
            return .success(m)
        } catch {
            switch error {
            case .malformedJSON: errors.0 &+= 1
            case .missingField: errors.1 &+= 1
            case .badNumber: errors.2 &+= 1
            case .badDecimal: errors.3 &+= 1
            case .unknownSymbol: errors.4 &+= 1
            case .unknownEvent: errors.5 &+= 1
            }
            return .failure(error)
        }
    }

    // MARK: implementation

    /// Value spans of the fields the engine keeps, found in one pass in any order.

    struct Fields {
        var e: JSONSpan?, E: JSONSpan?, T: JSONSpan?, s: JSONSpan?, t: JSONSpan?, p: JSONSpan?, q: JSONSpan?
        var m: JSONSpan?, a: JSONSpan?, u: JSONSpan?, b: JSONSpan?, B: JSONSpan?, A: JSONSpan?, U: JSONSpan?
        var pu: JSONSpan?, i: JSONSpan?, r: JSONSpan?, k: JSONSpan?
        // kline members
        var o: JSONSpan?, c: JSONSpan?, h: JSONSpan?, l: JSONSpan?, v: JSONSpan?, n: JSONSpan?, x: JSONSpan?
        var V: JSONSpan?
        init() {}
    }

    static func parseMessage(_ bytes: UnsafeRawBufferPointer, symbols: BinanceSymbols, ingressNs: UInt64)
        throws(BinanceParseError) -> BinanceStreamMessage
    {
        guard bytes.count > 1 else { throw .malformedJSON }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // Top level: {"stream":…,"data":{…}} or the event itself, or a reply / REST snapshot.
        // One pass: the `data` object is read in place where it stands, not skipped and re-read.
        var top = JSONCursor(bytes)
        var result = false, id: JSONSpan?, lastUpdateId: JSONSpan?
        var topFields = Fields(), dataFields = Fields()
        var sawData = false
        guard top.consume(0x7B) else { throw .malformedJSON }
        top.skipWhitespace()
        if top.peek() == 0x7D {
            throw .missingField
        }
        while true {
            guard top.consume(0x22), let key = top.stringBody(), top.consume(0x3A) else { throw .malformedJSON }
            top.skipWhitespace()
            if key.count == 4, base[key.start] == 0x64, top.peek() == 0x7B {  // "data": the event
                sawData = true
                guard top.members({ k, _, v in record(k, v, base, into: &dataFields); return true }) else {
                    throw .malformedJSON
                }
            } else {
                guard let (_, value) = top.value() else { throw .malformedJSON }
                switch key.count {
                case 6 where base[key.start] == 0x72: result = true  // "result"
                case 2 where base[key.start] == 0x69 && base[key.start + 1] == 0x64: id = value  // "id"
                case 12 where base[key.start] == 0x6C: lastUpdateId = value  // "lastUpdateId"
                default: record(key, value, base, into: &topFields)
                }
            }
            top.skipWhitespace()
            guard let c = top.peek() else { throw .malformedJSON }
            top.i += 1
            if c == 0x7D { break }
            guard c == 0x2C else { throw .malformedJSON }
        }
        if result, let id {
            return .reply(id: try integer(id, base))
        }
        if let lastUpdateId {
            guard let E = topFields.E, let T = topFields.T else { throw .missingField }
            return .depthSnapshot(lastUpdateId: try integer(lastUpdateId, base), eventTimeMs: try integer(E, base),
                                  transactionTimeMs: try integer(T, base))
        }
        let f = sawData ? dataFields : topFields
        guard let e = f.e else { throw .missingField }
        return try event(e, f, base, symbols: symbols, ingressNs: ingressNs)
    }

    @inline(__always)
    static func record(_ key: JSONSpan, _ value: JSONSpan, _ base: UnsafePointer<UInt8>, into f: inout Fields) {
        if key.count == 1 {
            switch base[key.start] {
            case 0x65: f.e = value  // e
            case 0x45: f.E = value  // E
            case 0x54: f.T = value  // T
            case 0x73: f.s = value  // s
            case 0x74: f.t = value  // t
            case 0x70: f.p = value  // p
            case 0x71: f.q = value  // q
            case 0x6D: f.m = value  // m
            case 0x61: f.a = value  // a
            case 0x75: f.u = value  // u
            case 0x62: f.b = value  // b
            case 0x42: f.B = value  // B
            case 0x41: f.A = value  // A
            case 0x55: f.U = value  // U
            case 0x69: f.i = value  // i
            case 0x72: f.r = value  // r
            case 0x6B: f.k = value  // k
            case 0x6F: f.o = value  // o
            case 0x63: f.c = value  // c
            case 0x68: f.h = value  // h
            case 0x6C: f.l = value  // l
            case 0x76: f.v = value  // v
            case 0x6E: f.n = value  // n
            case 0x78: f.x = value  // x
            case 0x56: f.V = value  // V
            default: break
            }
        } else if key.count == 2, base[key.start] == 0x70, base[key.start + 1] == 0x75 {  // pu
            f.pu = value
        }
    }

    static func event(_ e: JSONSpan, _ f: Fields, _ base: UnsafePointer<UInt8>, symbols: BinanceSymbols,
                      ingressNs: UInt64) throws(BinanceParseError) -> BinanceStreamMessage
    {
        func symbol() throws(BinanceParseError) -> SymbolID {
            guard let s = f.s else { throw .missingField }
            guard let id = symbols.id(UnsafeRawBufferPointer(start: base + s.start, count: s.count)) else {
                throw .unknownSymbol
            }
            return id
        }
        func need(_ span: JSONSpan?) throws(BinanceParseError) -> JSONSpan {
            guard let span else { throw .missingField }
            return span
        }
        switch name(e, base) {
        case .trade, .aggTrade:
            let sym = try symbol()
            let isAgg = name(e, base) == .aggTrade
            let trade = TradeTick(
                eventTimeMs: try integer(need(f.E), base), tradeTimeMs: try integer(need(f.T), base),
                tradeID: try integer(need(isAgg ? f.a : f.t), base),
                price: try price(need(f.p), base, symbols.priceScales[sym.index]),
                quantity: try quantity(need(f.q), base, symbols.quantityScales[sym.index]),
                aggressor: try boolean(need(f.m), base) ? .sell : .buy, isAggregate: isAgg)
            return .market(MarketEvent(ingressNs: ingressNs, symbol: sym, body: .trade(trade)))
        case .bookTicker:
            let sym = try symbol()
            let ps = symbols.priceScales[sym.index], qs = symbols.quantityScales[sym.index]
            let b = BookTicker(
                eventTimeMs: try integer(need(f.E), base), updateID: try integer(need(f.u), base),
                bidPrice: try price(need(f.b), base, ps), bidQuantity: try quantity(need(f.B), base, qs),
                askPrice: try price(need(f.a), base, ps), askQuantity: try quantity(need(f.A), base, qs))
            return .market(MarketEvent(ingressNs: ingressNs, symbol: sym, body: .bookTicker(b)))
        case .markPriceUpdate:
            let sym = try symbol()
            let ps = symbols.priceScales[sym.index]
            let m = MarkPriceUpdate(
                eventTimeMs: try integer(need(f.E), base), markPrice: try price(need(f.p), base, ps, rounding: true),
                indexPrice: try price(need(f.i), base, ps, rounding: true),
                fundingRateE8: try fixed(need(f.r), base, DecimalScale(places: 8)),
                nextFundingTimeMs: try integer(need(f.T), base))
            return .market(MarketEvent(ingressNs: ingressNs, symbol: sym, body: .markPrice(m)))
        case .kline:
            let sym = try symbol()
            var k = Fields()
            var cursor = JSONCursor(UnsafeRawBufferPointer(start: base, count: try need(f.k).end), start: f.k!.start)
            guard cursor.members({ key, _, value in record(key, value, base, into: &k); return true }) else {
                throw .malformedJSON
            }
            guard let interval = Self.interval(try need(k.i), base) else { throw .badNumber }
            let ps = symbols.priceScales[sym.index], qs = symbols.quantityScales[sym.index]
            let bar = Kline(
                eventTimeMs: try integer(need(f.E), base), openTimeMs: try integer(need(k.t), base), interval: interval,
                open: try price(need(k.o), base, ps), high: try price(need(k.h), base, ps),
                low: try price(need(k.l), base, ps), close: try price(need(k.c), base, ps),
                volume: try quantity(need(k.v), base, qs),
                quoteVolume: try price(need(k.q), base, ps, rounding: true),
                takerBuyVolume: try quantity(need(k.V), base, qs),
                tradeCount: UInt32(clamping: try integer(need(k.n), base)))
            let closed = try boolean(need(k.x), base)
            return .market(MarketEvent(ingressNs: ingressNs, symbol: sym, body: closed ? .klineClosed(bar) : .klineUpdate(bar)))
        case .depthUpdate:
            let sym = try symbol()
            return .depth(BinanceDepthHeader(
                symbol: sym, eventTimeMs: try integer(need(f.E), base), transactionTimeMs: try integer(need(f.T), base),
                firstUpdateId: try integer(need(f.U), base), finalUpdateId: try integer(need(f.u), base),
                previousFinalUpdateId: try integer(need(f.pu), base)))
        case .known:
            return .ignored
        case .unknown:
            throw .unknownEvent
        }
    }

    enum EventName { case trade, aggTrade, bookTicker, markPriceUpdate, kline, depthUpdate, known, unknown }

    static func name(_ e: JSONSpan, _ base: UnsafePointer<UInt8>) -> EventName {
        func equals(_ literal: StaticString) -> Bool {
            guard literal.utf8CodeUnitCount == e.count else { return false }
            let l = literal.utf8Start
            for j in 0..<e.count where base[e.start + j] != l[j] { return false }
            return true
        }
        switch e.count {
        case 5 where equals("trade"): return .trade
        case 5 where equals("kline"): return .kline
        case 8 where equals("aggTrade"): return .aggTrade
        case 10 where equals("bookTicker"): return .bookTicker
        case 11 where equals("depthUpdate"): return .depthUpdate
        case 15 where equals("markPriceUpdate"): return .markPriceUpdate
        default:
            for known in ["24hrTicker", "24hrMiniTicker", "forceOrder", "continuous_kline", "compositeIndex",
                          "contractInfo", "assetIndexUpdate"] as [StaticString] where equals(known) {
                return .known
            }
            return .unknown
        }
    }

    static func interval(_ span: JSONSpan, _ base: UnsafePointer<UInt8>) -> Interval? {
        // "1m" … "1w": number then unit.
        var n = 0, j = span.start
        while j < span.end, base[j] >= 0x30, base[j] <= 0x39 { n = n * 10 + Int(base[j] - 0x30); j += 1 }
        guard j == span.end - 1 else { return nil }
        switch (n, base[j]) {
        case (1, 0x6D): return .m1
        case (3, 0x6D): return .m3
        case (5, 0x6D): return .m5
        case (15, 0x6D): return .m15
        case (30, 0x6D): return .m30
        case (1, 0x68): return .h1
        case (2, 0x68): return .h2
        case (4, 0x68): return .h4
        case (6, 0x68): return .h6
        case (8, 0x68): return .h8
        case (12, 0x68): return .h12
        case (1, 0x64): return .d1
        case (3, 0x64): return .d3
        case (1, 0x77): return .w1
        default: return nil
        }
    }

    static func integer(_ span: JSONSpan, _ base: UnsafePointer<UInt8>) throws(BinanceParseError) -> Int64 {
        var j = span.start
        var negative = false
        if j < span.end, base[j] == 0x2D {
            negative = true
            j += 1
        }
        guard j < span.end else { throw .badNumber }
        var v: Int64 = 0
        while j < span.end {
            let d = base[j] &- 0x30
            guard d < 10 else { throw .badNumber }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d))
            guard !o1, !o2 else { throw .badNumber }
            v = s
            j += 1
        }
        return negative ? -v : v
    }

    static func boolean(_ span: JSONSpan, _ base: UnsafePointer<UInt8>) throws(BinanceParseError) -> Bool {
        if span.count == 4, base[span.start] == 0x74 { return true }  // true
        if span.count == 5, base[span.start] == 0x66 { return false }  // false
        throw .badNumber
    }

    /// Mark/index prices and quote volumes carry more decimals than the tick: they are rounded
    /// to the price scale (half-even); trade and book prices must be exact.

    static func price(_ span: JSONSpan, _ base: UnsafePointer<UInt8>, _ scale: DecimalScale, rounding: Bool = false)
        throws(BinanceParseError) -> Price
    {
        Price(raw: try fixed(span, base, scale, rounding: rounding))
    }

    static func quantity(_ span: JSONSpan, _ base: UnsafePointer<UInt8>, _ scale: DecimalScale)
        throws(BinanceParseError) -> Quantity
    {
        Quantity(raw: try fixed(span, base, scale))
    }

    static func fixed(_ span: JSONSpan, _ base: UnsafePointer<UInt8>, _ scale: DecimalScale, rounding: Bool = false)
        throws(BinanceParseError) -> Int64
    {
        let text = UnsafeRawBufferPointer(start: base + span.start, count: span.count)
        guard let v = Price.parse(text, scale: scale, rounding: rounding ? .toNearestOrEven : nil) else {
            throw .badDecimal
        }
        return v.raw
    }
}
