import TicklineCore

/// A user-data stream event, as the order stage needs it.
public enum BinanceUserEvent: Sendable {
    /// ORDER_TRADE_UPDATE: an order's state changed (new, fill, cancel, expiry).
    case execution(ExecutionReport, orderStatus: BinanceOrderStatus)
    /// TRADE_LITE: a fill, ahead of its ORDER_TRADE_UPDATE.
    case tradeLite(ExecutionReport)
    /// ACCOUNT_UPDATE: balances or positions changed (`reason` is Binance's `m`).
    case accountUpdate(eventTimeMs: Int64, reason: BinanceAccountUpdateReason)
    /// ALGO_UPDATE: a conditional order's state changed.
    case algoUpdate(eventTimeMs: Int64, algoID: Int64, status: BinanceAlgoStatus)
    case marginCall(eventTimeMs: Int64)
    /// The listen key expired: the stream stops; create a new key and reconnect.
    case listenKeyExpired(eventTimeMs: Int64)
}

public enum BinanceOrderStatus: UInt8, Sendable {
    case new = 1, partiallyFilled, filled, canceled, expired, expiredInMatch, other
}

public enum BinanceAccountUpdateReason: UInt8, Sendable {
    case order = 1, fundingFee, deposit, withdraw, marginTransfer, insuranceClear, adminDeposit, adminWithdraw,
         marginTypeChange, assetTransfer, autoExchange, other
}

public enum BinanceAlgoStatus: UInt8, Sendable {
    case new = 1, canceled, triggering, triggered, finished, rejected, expired, other
}

/// Parses the user-data stream (`/private/ws?listenKey=…`) in place, like the market parser:
/// fields in any order, decimals straight into fixed point at the symbol's scales, errors as
/// values. The account is the stream's (one listen key per account), given by the caller.
public struct BinanceUserDataParser: Sendable {
    public let symbols: BinanceSymbols
    public private(set) var parsed = 0
    public private(set) var errors = 0

    public init(symbols: BinanceSymbols) { self.symbols = symbols }

    public mutating func parse(_ message: UnsafeRawBufferPointer, account: AccountID, ingressNs: UInt64)
        -> Result<BinanceUserEvent, BinanceParseError>
    {
        do {
            let e = try Self.parse(message, symbols: symbols, account: account, ingressNs: ingressNs)
            parsed &+= 1
            return .success(e)
        } catch {
            errors &+= 1
            return .failure(error)
        }
    }

    /// Spans of the keys the user-data events use, found in one pass (a fixed struct: no
    /// allocation per message).
    struct Keys {
        var e, E, T, s, c, S, x, X, i, l, z, L, n, t, a, o, m, ap, rp, aid: JSONSpan?

        mutating func record(_ key: JSONSpan, _ v: JSONSpan, _ base: UnsafePointer<UInt8>) {
            switch key.count {
            case 1:
                switch base[key.start] {
                case 0x65: e = v
                case 0x45: E = v
                case 0x54: T = v
                case 0x73: s = v
                case 0x63: c = v
                case 0x53: S = v
                case 0x78: x = v
                case 0x58: X = v
                case 0x69: i = v
                case 0x6C: l = v
                case 0x7A: z = v
                case 0x4C: L = v
                case 0x6E: n = v
                case 0x74: t = v
                case 0x61: a = v
                case 0x6F: o = v
                case 0x6D: m = v
                default: break
                }
            case 2:
                if base[key.start] == 0x61, base[key.start + 1] == 0x70 { ap = v }  // ap
                if base[key.start] == 0x72, base[key.start + 1] == 0x70 { rp = v }  // rp
            case 3:
                if base[key.start] == 0x61, base[key.start + 1] == 0x69, base[key.start + 2] == 0x64 { aid = v }  // aid
            default:
                break
            }
        }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, symbols: BinanceSymbols, account: AccountID, ingressNs: UInt64)
        throws(BinanceParseError) -> BinanceUserEvent
    {
        guard bytes.count > 1 else { throw .malformedJSON }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var top = Keys()
        var cursor = JSONCursor(bytes)
        guard cursor.members({ k, _, v in
            top.record(k, v, base)
            return true
        }) else { throw .malformedJSON }
        func text(_ span: JSONSpan?) -> UnsafeRawBufferPointer? {
            span.map { UnsafeRawBufferPointer(start: base + $0.start, count: $0.count) }
        }
        func equals(_ span: JSONSpan?, _ literal: StaticString) -> Bool {
            guard let span, span.count == literal.utf8CodeUnitCount else { return false }
            for j in 0..<span.count where base[span.start + j] != literal.utf8Start[j] { return false }
            return true
        }
        guard let e = top.e else { throw .missingField }
        let eventTime = try top.E.map { span throws(BinanceParseError) in try BinanceStreamParser.integer(span, base) } ?? 0
        if equals(e, "listenKeyExpired") { return .listenKeyExpired(eventTimeMs: eventTime) }
        if equals(e, "MARGIN_CALL") { return .marginCall(eventTimeMs: eventTime) }
        if equals(e, "ACCOUNT_UPDATE") {
            guard let a = top.a else { throw .missingField }
            var inner = Keys()
            var c = JSONCursor(bytes, start: a.start, end: a.end)
            guard c.members({ k, _, v in
                inner.record(k, v, base)
                return true
            }) else { throw .malformedJSON }
            let m = inner.m
            let reason: BinanceAccountUpdateReason =
                equals(m, "ORDER") ? .order : equals(m, "FUNDING_FEE") ? .fundingFee : equals(m, "DEPOSIT") ? .deposit
                : equals(m, "WITHDRAW") ? .withdraw : equals(m, "MARGIN_TRANSFER") ? .marginTransfer
                : equals(m, "INSURANCE_CLEAR") ? .insuranceClear : equals(m, "MARGIN_TYPE_CHANGE") ? .marginTypeChange
                : equals(m, "ASSET_TRANSFER") ? .assetTransfer : equals(m, "AUTO_EXCHANGE") ? .autoExchange : .other
            return .accountUpdate(eventTimeMs: eventTime, reason: reason)
        }
        let isOrder = equals(e, "ORDER_TRADE_UPDATE"), isLite = equals(e, "TRADE_LITE"), isAlgo = equals(e, "ALGO_UPDATE")
        guard isOrder || isLite || isAlgo else { throw .unknownEvent }
        var o = top
        if isOrder || isAlgo {
            guard let span = top.o else { throw .missingField }
            o = Keys()
            var c = JSONCursor(bytes, start: span.start, end: span.end)
            guard c.members({ k, _, v in
                o.record(k, v, base)
                return true
            }) else { throw .malformedJSON }
        }
        if isAlgo {
            guard let aid = o.aid else { throw .missingField }
            let x = o.X
            let status: BinanceAlgoStatus =
                equals(x, "NEW") ? .new : equals(x, "CANCELED") ? .canceled : equals(x, "TRIGGERING") ? .triggering
                : equals(x, "TRIGGERED") ? .triggered : equals(x, "FINISHED") ? .finished : equals(x, "REJECTED") ? .rejected
                : equals(x, "EXPIRED") ? .expired : .other
            return .algoUpdate(eventTimeMs: eventTime, algoID: try BinanceStreamParser.integer(aid, base), status: status)
        }
        guard let s = o.s, let symbol = symbols.id(text(s)!) else { throw o.s == nil ? .missingField : .unknownSymbol }
        let ps = symbols.priceScales[symbol.index], qs = symbols.quantityScales[symbol.index]
        func price(_ span: JSONSpan?) throws(BinanceParseError) -> Price {
            guard let span else { return .zero }
            return Price(raw: try BinanceStreamParser.fixed(span, base, ps, rounding: true))
        }
        func quantity(_ span: JSONSpan?) throws(BinanceParseError) -> Quantity {
            guard let span else { return Quantity(raw: 0) }
            return Quantity(raw: try BinanceStreamParser.fixed(span, base, qs))
        }
        func int(_ span: JSONSpan?) throws(BinanceParseError) -> Int64 {
            guard let span else { return 0 }
            return try BinanceStreamParser.integer(span, base)
        }
        // Our client order ids are decimal integers (the engine's `clientOrderID`); others map to 0.
        let clientOrderID = o.c.flatMap { span -> UInt64? in
            var v: UInt64 = 0
            for j in span.start..<span.end {
                let d = base[j] &- 0x30
                guard d < 10 else { return nil }
                v = v &* 10 &+ UInt64(d)
            }
            return v
        } ?? 0
        let side: Side = equals(o.S, "SELL") ? .sell : .buy
        let status = o.X
        let orderStatus: BinanceOrderStatus =
            equals(status, "NEW") ? .new : equals(status, "PARTIALLY_FILLED") ? .partiallyFilled
            : equals(status, "FILLED") ? .filled : equals(status, "CANCELED") ? .canceled : equals(status, "EXPIRED") ? .expired
            : equals(status, "EXPIRED_IN_MATCH") ? .expiredInMatch : .other
        let x = o.x
        let kind: ExecutionKind =
            isLite ? .partiallyFilled
            : equals(x, "TRADE") ? (orderStatus == .filled ? .filled : .partiallyFilled)
            : equals(x, "CANCELED") ? .canceled : equals(x, "EXPIRED") ? .expired : equals(x, "NEW") ? .accepted : .accepted
        let time = try int(o.T ?? top.T)
        let report = ExecutionReport(
            ingressNs: ingressNs, eventTimeMs: time == 0 ? eventTime : time, clientOrderID: clientOrderID,
            venueOrderID: try int(o.i), account: account, symbol: symbol, side: side, kind: kind,
            tradeID: try int(o.t), lastFillQuantity: try quantity(o.l), lastFillPrice: try price(o.L),
            cumulativeQuantity: try quantity(o.z), averagePrice: try price(o.ap),
            commission: try price(o.n), realizedPnL: try price(o.rp))
        return isLite ? .tradeLite(report) : .execution(report, orderStatus: orderStatus)
    }
}
