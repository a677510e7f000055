import TicklineCore

/// Parsers for the REST responses the engine reads at start-up and for backfill: server time,
/// exchange info (each symbol's tick and step size: the source of its fixed-point scales),
/// klines, premium index, and Binance's error body. Off the hot path, so results may allocate;
/// input is still read in place. Every function throws `BinanceREST.ParseError` on malformed
/// input, never crashes.
public enum BinanceREST {
    public enum ParseError: Error, Equatable, Sendable {
        case malformedJSON
        case missingField(String)
        case badValue(String)
    }

    /// `{"code":-1121,"msg":"Invalid symbol."}`.
    public struct APIError: Error, Equatable, Sendable {
        public var code: Int
        public var message: String
        public init(code: Int, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// One symbol of `exchangeInfo`, with what the engine needs.
    public struct SymbolInfo: Equatable, Sendable {
        public var symbol: String
        public var status: String
        public var tickSize: String
        public var stepSize: String
        public var minQuantity: String
        public var minNotional: String
        /// Scales derived from the increments as written ("0.10" → 2 places, "0.001" → 3).
        public var priceScale: DecimalScale
        public var quantityScale: DecimalScale
    }

    public static func serverTime(_ body: UnsafeRawBufferPointer) throws -> Int64 {
        var result: Int64?
        try members(body, 0, body.count) { key, _, value, base in
            if text(key, base) == "serverTime" { result = try integer(value, base, "serverTime") }
        }
        guard let result else { throw ParseError.missingField("serverTime") }
        return result
    }

    /// Binance's error body, or nil when the body is not one.
    public static func apiError(_ body: UnsafeRawBufferPointer) -> APIError? {
        var code: Int?, message: String?
        do {
            try members(body, 0, body.count) { key, _, value, base in
                switch text(key, base) {
                case "code": code = Int(try integer(value, base, "code"))
                case "msg": message = text(value, base)
                default: break
                }
            }
        } catch {
            return nil
        }
        guard let code, let message else { return nil }
        return APIError(code: code, message: message)
    }

    public static func exchangeInfo(_ body: UnsafeRawBufferPointer) throws -> [SymbolInfo] {
        var symbolsSpan: JSONSpan?
        try members(body, 0, body.count) { key, kind, value, base in
            if kind == 0x5B, text(key, base) == "symbols" { symbolsSpan = value }
        }
        guard let symbolsSpan else { throw ParseError.missingField("symbols") }
        var out: [SymbolInfo] = []
        try elements(body, symbolsSpan) { element, base in
            var name: String?, status = "", tick: String?, step: String?, minQty = "0", minNotional = "0"
            var filters: JSONSpan?
            try members(body, element.start, element.end) { key, _, value, base in
                switch text(key, base) {
                case "symbol": name = text(value, base)
                case "status": status = text(value, base)
                case "filters": filters = value
                default: break
                }
            }
            guard let name else { throw ParseError.missingField("symbol") }
            guard let filters else { throw ParseError.missingField("filters") }
            try elements(body, filters) { filter, base in
                var fields: [String: String] = [:]
                try members(body, filter.start, filter.end) { key, _, value, base in
                    fields[text(key, base)] = text(value, base)
                }
                switch fields["filterType"] {
                case "PRICE_FILTER": tick = fields["tickSize"]
                case "LOT_SIZE":
                    step = fields["stepSize"]
                    minQty = fields["minQty"] ?? minQty
                case "MIN_NOTIONAL": minNotional = fields["notional"] ?? minNotional
                default: break
                }
            }
            guard let tick else { throw ParseError.missingField("\(name) PRICE_FILTER.tickSize") }
            guard let step else { throw ParseError.missingField("\(name) LOT_SIZE.stepSize") }
            guard let ps = DecimalScale(ofIncrement: tick) else { throw ParseError.badValue("\(name) tickSize \(tick)") }
            guard let qs = DecimalScale(ofIncrement: step) else { throw ParseError.badValue("\(name) stepSize \(step)") }
            out.append(SymbolInfo(symbol: name, status: status, tickSize: tick, stepSize: step, minQuantity: minQty,
                                  minNotional: minNotional, priceScale: ps, quantityScale: qs))
        }
        return out
    }

    /// `GET /fapi/v1/klines`: rows of [openTime, o, h, l, c, v, closeTime, quoteVolume, trades,
    /// takerBuyBase, takerBuyQuote, ignore]; all closed except possibly the last (the caller
    /// compares `closeTimeMs` with the server time).
    public static func klines(_ body: UnsafeRawBufferPointer, interval: Interval, priceScale: DecimalScale,
                              quantityScale: DecimalScale) throws -> [Kline] {
        var out: [Kline] = []
        try elements(body, JSONSpan(start: 0, end: body.count)) { row, base in
            var cells: [JSONSpan] = []
            try elements(body, row) { cell, _ in cells.append(cell) }
            guard cells.count >= 11 else { throw ParseError.badValue("kline row with \(cells.count) cells") }
            func price(_ i: Int, rounding: Bool = false) throws -> Price {
                guard let v = Price.parse(slice(cells[i], base), scale: priceScale, rounding: rounding ? .toNearestOrEven : nil)
                else { throw ParseError.badValue("kline price \(text(cells[i], base))") }
                return v
            }
            func qty(_ i: Int) throws -> Quantity {
                guard let v = Quantity.parse(slice(cells[i], base), scale: quantityScale) else {
                    throw ParseError.badValue("kline quantity \(text(cells[i], base))")
                }
                return v
            }
            out.append(Kline(eventTimeMs: try integer(cells[6], base, "closeTime"),
                             openTimeMs: try integer(cells[0], base, "openTime"), interval: interval,
                             open: try price(1), high: try price(2), low: try price(3), close: try price(4),
                             volume: try qty(5), quoteVolume: try price(7, rounding: true), takerBuyVolume: try qty(9),
                             tradeCount: UInt32(clamping: try integer(cells[8], base, "trades"))))
        }
        return out
    }

    /// `GET /fapi/v1/premiumIndex?symbol=…`.
    public static func premiumIndex(_ body: UnsafeRawBufferPointer, priceScale: DecimalScale)
        throws -> MarkPriceUpdate
    {
        var mark: Price?, index: Price?, rate: Int64?, next: Int64?, time: Int64?
        try members(body, 0, body.count) { key, _, value, base in
            switch text(key, base) {
            case "markPrice": mark = Price.parse(slice(value, base), scale: priceScale, rounding: .toNearestOrEven)
            case "indexPrice": index = Price.parse(slice(value, base), scale: priceScale, rounding: .toNearestOrEven)
            case "lastFundingRate": rate = Price.parse(slice(value, base), scale: DecimalScale(places: 8),
                                                       rounding: .toNearestOrEven)?.raw
            case "nextFundingTime": next = try integer(value, base, "nextFundingTime")
            case "time": time = try integer(value, base, "time")
            default: break
            }
        }
        guard let mark, let index, let rate, let next, let time else { throw ParseError.missingField("premiumIndex field") }
        return MarkPriceUpdate(eventTimeMs: time, markPrice: mark, indexPrice: index, fundingRateE8: rate,
                               nextFundingTimeMs: next)
    }

    // MARK: helpers

    static func members(_ body: UnsafeRawBufferPointer, _ start: Int, _ end: Int,
                        _ visit: (JSONSpan, UInt8, JSONSpan, UnsafePointer<UInt8>) throws -> Void)
        throws
    {
        guard body.count > 0 else { throw ParseError.malformedJSON }
        let base = body.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var cursor = JSONCursor(body, start: start, end: end)
        var failure: (any Error)?
        let ok = cursor.members { key, kind, value in
            do {
                try visit(key, kind, value, base)
                return true
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        guard ok else { throw ParseError.malformedJSON }
    }

    static func elements(_ body: UnsafeRawBufferPointer, _ span: JSONSpan,
                         _ visit: (JSONSpan, UnsafePointer<UInt8>) throws -> Void) throws
    {
        guard body.count > 0 else { throw ParseError.malformedJSON }
        let base = body.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var cursor = JSONCursor(body, start: span.start, end: span.end)
        guard cursor.consume(0x5B) else { throw ParseError.malformedJSON }
        cursor.skipWhitespace()
        if cursor.peek() == 0x5D { return }
        while true {
            guard let (_, value) = cursor.value() else { throw ParseError.malformedJSON }
            // Strings come back without quotes; containers and scalars as written.
            try visit(value, base)
            cursor.skipWhitespace()
            guard let c = cursor.peek() else { throw ParseError.malformedJSON }
            cursor.i += 1
            if c == 0x5D { return }
            guard c == 0x2C else { throw ParseError.malformedJSON }
        }
    }

    static func slice(_ span: JSONSpan, _ base: UnsafePointer<UInt8>) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + span.start, count: span.count)
    }

    static func text(_ span: JSONSpan, _ base: UnsafePointer<UInt8>) -> String {
        String(decoding: slice(span, base), as: UTF8.self)
    }

    static func integer(_ span: JSONSpan, _ base: UnsafePointer<UInt8>, _ name: String) throws -> Int64 {
        guard let v = Int64(text(span, base)) else { throw ParseError.badValue(name) }
        return v
    }
}
