import TicklineCore

/// A user-data stream event, as the order stage needs it.
public enum BinanceUserEvent: Sendable, Equatable {
    /// ORDER_TRADE_UPDATE: an order's state changed (new, fill, cancel, expiry, rejection,
    /// amendment, liquidation).
    ///
    /// `origType` is Binance's `ot` (nil for types the engine has no name for, e.g.
    /// `LIQUIDATION`). A conditional order that triggers comes back as a new order with a client
    /// order id Binance made up (so `clientOrderID` is 0) and `ot` STOP_MARKET or
    /// TAKE_PROFIT_MARKET: the order stage finds the protective order by `origType` and symbol.
    ///
    /// How `x` (execution type) becomes `ExecutionKind`:
    /// - `NEW` → `.accepted`; `CANCELED` → `.canceled`; `EXPIRED` → `.expired` (also for
    ///   `X` = `EXPIRED_IN_MATCH`, self-trade prevention); `REJECTED` → `.rejected`.
    /// - `TRADE` → `.filled` when `X` is FILLED, else `.partiallyFilled`.
    /// - `AMENDMENT` (price or quantity changed by `PUT /fapi/v1/order`) → `.accepted`: the order
    ///   is live again at its new terms, no fill (`l` is 0), cumulative quantity unchanged.
    /// - `CALCULATED` (the exchange's own liquidation or ADL order closing our position;
    ///   `X` FILLED, NEW_ADL or NEW_INSURANCE, `c` like `autoclose-…`) → a fill when `l` > 0
    ///   (`.filled` once `z` reaches `q` or `X` is FILLED, else `.partiallyFilled`), otherwise
    ///   `.accepted`; `closeReason` is `.liquidation`.
    /// - Anything else: from `X` (CANCELED, EXPIRED) or `.accepted`.
    ///
    /// `closeReason` is otherwise `.stopLoss`/`.takeProfit` for a reduce-only (`R`) or
    /// close-position (`cp`) order whose `ot` is a stop/take-profit type, else `.none`; the
    /// order stage, which knows its own orders, may overwrite it. `R` has no field of its own
    /// in `ExecutionReport` and is only used for that.
    case execution(ExecutionReport, orderStatus: BinanceOrderStatus, origType: OrderType?)
    /// TRADE_LITE: a fill, ahead of its ORDER_TRADE_UPDATE.
    case tradeLite(ExecutionReport)
    /// ACCOUNT_UPDATE: balances or positions changed.
    case accountUpdate(BinanceAccountUpdate)
    /// ALGO_UPDATE: a conditional order's state changed.
    case algoUpdate(BinanceAlgoUpdate)
    case marginCall(eventTimeMs: Int64)
    /// The listen key expired: the stream stops; create a new key and reconnect.
    case listenKeyExpired(eventTimeMs: Int64)
}

public enum BinanceOrderStatus: UInt8, Sendable, BitwiseCopyable {
    case new = 1, partiallyFilled, filled, canceled, expired, expiredInMatch, other
}

public enum BinanceAccountUpdateReason: UInt8, Sendable, BitwiseCopyable {
    case order = 1, fundingFee, deposit, withdraw, marginTransfer, insuranceClear, adminDeposit, adminWithdraw,
         marginTypeChange, assetTransfer, autoExchange, other
}

public enum BinanceAlgoStatus: UInt8, Sendable, BitwiseCopyable {
    case new = 1, canceled, triggering, triggered, finished, rejected, expired, other
}

/// ACCOUNT_UPDATE, reduced to the USDT balance (money in the engine: 8 decimal places, as
/// Binance writes balances).
///
/// Only the `B` entry whose asset `a` is USDT is read; other assets (BNB, BNFCR, …) are skipped,
/// and both balances are nil when the event carries no USDT entry (Binance pushes only the
/// assets that changed). Of the positions (`P`) only the symbol is read, when exactly one is
/// listed (a FUNDING_FEE for one position, as Binance sends for isolated positions and the
/// simulator for every position): the engine keeps its own positions and reconciles against
/// `GET /fapi/v2/positionRisk`.
public struct BinanceAccountUpdate: Sendable, Equatable, BitwiseCopyable {
    public var eventTimeMs: Int64
    /// Binance's `a.m`.
    public var reason: BinanceAccountUpdateReason
    /// USDT `wb`, at `DecimalScale(places: 8)`.
    public var usdtWalletBalance: Price?
    /// USDT `bc` (balance change except PnL and commission, e.g. the funding fee for reason
    /// FUNDING_FEE), at `DecimalScale(places: 8)`.
    public var usdtBalanceChange: Price?
    /// The symbol of the only position in `P` (nil when `P` is absent, empty, lists several, or
    /// names a symbol outside the table).
    public var positionSymbol: SymbolID?

    public init(eventTimeMs: Int64, reason: BinanceAccountUpdateReason, usdtWalletBalance: Price?, usdtBalanceChange: Price?,
                positionSymbol: SymbolID? = nil) {
        self.eventTimeMs = eventTimeMs
        self.reason = reason
        self.usdtWalletBalance = usdtWalletBalance
        self.usdtBalanceChange = usdtBalanceChange
        self.positionSymbol = positionSymbol
    }

    /// The scale of `usdtWalletBalance` and `usdtBalanceChange`.
    public static let moneyScale = DecimalScale(places: 8)
}

/// ALGO_UPDATE: one conditional (algo) order's state.
///
/// When it triggers (`status` `.triggered`), `actualOrderID` is the venue order id of the real
/// order Binance placed for it, whose ORDER_TRADE_UPDATEs carry a client order id that is not
/// ours.
public struct BinanceAlgoUpdate: Sendable, Equatable, BitwiseCopyable {
    /// `E`.
    public var eventTimeMs: Int64
    public var symbol: SymbolID
    /// `aid`.
    public var algoID: Int64
    /// The engine's order id decoded from `caid` (see `BinanceUserDataParser`), 0 if not ours.
    public var clientOrderID: UInt64
    /// `X`.
    public var status: BinanceAlgoStatus
    /// `o`; nil for types the engine has no name for.
    public var orderType: OrderType?
    /// `ai`, the triggered order's venue id (a JSON string, or a number); 0 while there is none.
    public var actualOrderID: Int64
    /// `tp`, at the symbol's price scale.
    public var triggerPrice: Price

    public init(eventTimeMs: Int64, symbol: SymbolID, algoID: Int64, clientOrderID: UInt64, status: BinanceAlgoStatus,
                orderType: OrderType?, actualOrderID: Int64, triggerPrice: Price) {
        self.eventTimeMs = eventTimeMs
        self.symbol = symbol
        self.algoID = algoID
        self.clientOrderID = clientOrderID
        self.status = status
        self.orderType = orderType
        self.actualOrderID = actualOrderID
        self.triggerPrice = triggerPrice
    }
}

/// Parses the user-data stream (`/private/ws?listenKey=…`) in place, like the market parser:
/// fields in any order, decimals straight into fixed point at the symbol's scales, errors as
/// values. The account is the stream's (one listen key per account), given by the caller.
///
/// Client order ids: the engine names its orders `{prefix}-{account}-{sequence}`, account and
/// sequence in lower-case base 36 without leading zeros (TicklineExecution's `ClientOrderIDs`;
/// e.g. `tl-0-2s` is account 0, sequence 100). `c` (and `caid`) decode to that sequence when the
/// prefix matches and the account is the stream's; anything else (Binance's own ids for
/// triggered or liquidation orders, orders placed by hand or by other software, another
/// account's ids) is 0. Sequence 0 is therefore never a usable order id.
///
/// ## Performance
/// No allocation per message: one pass over each object records the value spans of the keys
/// it knows in a fixed struct, then each field is converted once from the receive buffer.
public struct BinanceUserDataParser: Sendable {
    public let symbols: BinanceSymbols
    public private(set) var parsed = 0
    public private(set) var errors = 0
    let prefix: ClientOrderPrefix

    /// - Parameters:
    ///   - clientOrderPrefix: the prefix the engine's `ClientOrderIDs` uses: 1–8 characters of
    ///     `[A-Za-z0-9_.:/]`, no '-' (a programmer error otherwise; `ClientOrderIDs` checks the
    ///     same rule when the configuration is loaded).
    public init(symbols: BinanceSymbols, clientOrderPrefix: String = "tl") {
        self.symbols = symbols
        self.prefix = ClientOrderPrefix(clientOrderPrefix)
    }

    public mutating func parse(_ message: UnsafeRawBufferPointer, account: AccountID, ingressNs: UInt64)
        -> Result<BinanceUserEvent, BinanceParseError>
    {
        do {
            let e = try Self.parse(message, symbols: symbols, prefix: prefix, account: account, ingressNs: ingressNs)
            parsed &+= 1
            return .success(e)
        } catch {
            errors &+= 1
            return .failure(error)
        }
    }

    /// The client order id prefix, packed into one word (at most 8 bytes): no array to follow.
    struct ClientOrderPrefix: Sendable {
        /// Byte j in bits 8j..<8j+8.
        let packed: UInt64
        let count: Int

        init(_ text: String) {
            let bytes = Array(text.utf8)
            precondition(
                (1...8).contains(bytes.count) && bytes.allSatisfy { b in
                    (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                        || b == 0x2E || b == 0x3A || b == 0x2F || b == 0x5F
                },
                "client order prefix must be 1-8 characters of [A-Za-z0-9_.:/]")
            var p: UInt64 = 0
            for (j, b) in bytes.enumerated() { p |= UInt64(b) << (8 * UInt64(j)) }
            packed = p
            count = bytes.count
        }
    }

    /// The sequence in `span` when it is `{prefix}-{account}-{sequence}` for this prefix and
    /// `account`; 0 for anything else.
    @inline(__always)
    static func orderID(_ span: JSONSpan?, _ base: UnsafePointer<UInt8>, _ prefix: ClientOrderPrefix, _ account: AccountID)
        -> UInt64
    {
        guard let span, span.count > prefix.count + 1 else { return 0 }
        var i = span.start
        for j in 0..<prefix.count {
            guard base[i] == UInt8(truncatingIfNeeded: prefix.packed >> (8 * UInt64(j))) else { return 0 }
            i += 1
        }
        guard base[i] == 0x2D else { return 0 }
        i += 1
        guard let a = base36(base, &i, span.end), a == UInt64(account.rawValue), i < span.end, base[i] == 0x2D else {
            return 0
        }
        i += 1
        guard let sequence = base36(base, &i, span.end), i == span.end else { return 0 }
        return sequence
    }

    /// Lower-case base-36 digits from `i` up to a '-' or `end`; nil if none, with a leading zero
    /// (only "0" itself: one spelling per value, as `ClientOrderIDs` writes them), another byte,
    /// or on overflow.
    @inline(__always)
    static func base36(_ base: UnsafePointer<UInt8>, _ i: inout Int, _ end: Int) -> UInt64? {
        let start = i
        var v: UInt64 = 0
        while i < end, base[i] != 0x2D {
            let c = base[i]
            let d: UInt64
            if c &- 0x30 < 10 { d = UInt64(c &- 0x30) } else if c &- 0x61 < 26 { d = UInt64(c &- 0x61 &+ 10) } else {
                return nil
            }
            let (m, o1) = v.multipliedReportingOverflow(by: 36)
            let (s, o2) = m.addingReportingOverflow(d)
            guard !o1, !o2 else { return nil }
            v = s
            i += 1
        }
        guard i > start, !(base[start] == 0x30 && i - start > 1) else { return nil }
        return v
    }

    /// Spans of the keys the user-data events use, found in one pass (a fixed struct: no
    /// allocation per message). The same struct serves every object level; each level reads
    /// only its own keys.
    struct Keys {
        var e, E, T, s, c, S, o, q, x, X, i, l, z, L, n, t, a, m, R, B, P: JSONSpan?
        var ap, rp, ot, cp, ai, tp, wb, bc, aid, caid: JSONSpan?

        mutating func record(_ key: JSONSpan, _ v: JSONSpan, _ base: UnsafePointer<UInt8>) {
            let k = base + key.start
            switch key.count {
            case 1:
                switch k[0] {
                case 0x65: e = v
                case 0x45: E = v
                case 0x54: T = v
                case 0x73: s = v
                case 0x63: c = v
                case 0x53: S = v
                case 0x6F: o = v
                case 0x71: q = v
                case 0x78: x = v
                case 0x58: X = v
                case 0x69: i = v
                case 0x6C: l = v
                case 0x7A: z = v
                case 0x4C: L = v
                case 0x6E: n = v
                case 0x74: t = v
                case 0x61: a = v
                case 0x6D: m = v
                case 0x52: R = v
                case 0x42: B = v
                case 0x50: P = v
                default: break
                }
            case 2:
                switch UInt16(k[0]) << 8 | UInt16(k[1]) {
                case 0x6170: ap = v  // ap
                case 0x7270: rp = v  // rp
                case 0x6F74: ot = v  // ot
                case 0x6370: cp = v  // cp
                case 0x6169: ai = v  // ai
                case 0x7470: tp = v  // tp
                case 0x7762: wb = v  // wb
                case 0x6263: bc = v  // bc
                default: break
                }
            case 3:
                if k[0] == 0x61, k[1] == 0x69, k[2] == 0x64 { aid = v }  // aid
            case 4:
                if k[0] == 0x63, k[1] == 0x61, k[2] == 0x69, k[3] == 0x64 { caid = v }  // caid
            default:
                break
            }
        }
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, symbols: BinanceSymbols, prefix: ClientOrderPrefix,
                      account: AccountID, ingressNs: UInt64)
        throws(BinanceParseError) -> BinanceUserEvent
    {
        guard bytes.count > 1 else { throw .malformedJSON }
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        func keys(_ span: JSONSpan) throws(BinanceParseError) -> Keys {
            var k = Keys()
            var c = JSONCursor(bytes, start: span.start, end: span.end)
            guard c.members({ key, _, v in
                k.record(key, v, base)
                return true
            }) else { throw .malformedJSON }
            return k
        }
        func text(_ span: JSONSpan?) -> UnsafeRawBufferPointer? {
            span.map { UnsafeRawBufferPointer(start: base + $0.start, count: $0.count) }
        }
        func equals(_ span: JSONSpan?, _ literal: StaticString) -> Bool {
            guard let span, span.count == literal.utf8CodeUnitCount else { return false }
            for j in 0..<span.count where base[span.start + j] != literal.utf8Start[j] { return false }
            return true
        }
        func int(_ span: JSONSpan?) throws(BinanceParseError) -> Int64 {
            guard let span, span.count > 0 else { return 0 }  // absent, or "" (`ai` before a trigger)
            return try BinanceStreamParser.integer(span, base)
        }
        func bool(_ span: JSONSpan?) throws(BinanceParseError) -> Bool {
            guard let span else { return false }
            return try BinanceStreamParser.boolean(span, base)
        }
        func orderType(_ span: JSONSpan?) -> OrderType? {
            equals(span, "MARKET") ? .market : equals(span, "LIMIT") ? .limit : equals(span, "STOP_MARKET") ? .stopMarket
                : equals(span, "TAKE_PROFIT_MARKET") ? .takeProfitMarket : equals(span, "STOP") ? .stop
                : equals(span, "TAKE_PROFIT") ? .takeProfit : equals(span, "TRAILING_STOP_MARKET") ? .trailingStopMarket
                : nil
        }

        let top = try keys(JSONSpan(start: 0, end: bytes.count))
        guard let e = top.e else { throw .missingField }
        let eventTime = try int(top.E)
        if equals(e, "listenKeyExpired") { return .listenKeyExpired(eventTimeMs: eventTime) }
        if equals(e, "MARGIN_CALL") { return .marginCall(eventTimeMs: eventTime) }
        if equals(e, "ACCOUNT_UPDATE") {
            guard let a = top.a else { throw .missingField }
            let inner = try keys(a)
            let m = inner.m
            let reason: BinanceAccountUpdateReason =
                equals(m, "ORDER") ? .order : equals(m, "FUNDING_FEE") ? .fundingFee : equals(m, "DEPOSIT") ? .deposit
                : equals(m, "WITHDRAW") ? .withdraw : equals(m, "MARGIN_TRANSFER") ? .marginTransfer
                : equals(m, "INSURANCE_CLEAR") ? .insuranceClear : equals(m, "ADMIN_DEPOSIT") ? .adminDeposit
                : equals(m, "ADMIN_WITHDRAW") ? .adminWithdraw : equals(m, "MARGIN_TYPE_CHANGE") ? .marginTypeChange
                : equals(m, "ASSET_TRANSFER") ? .assetTransfer : equals(m, "AUTO_EXCHANGE") ? .autoExchange : .other
            var usdt: Keys?
            if let b = inner.B {
                var wellFormed = true
                var c = JSONCursor(bytes, start: b.start, end: b.end)
                guard c.elements({ kind, entry in
                    var k = Keys()
                    var ec = JSONCursor(bytes, start: entry.start, end: entry.end)
                    guard kind == 0x7B, ec.members({ key, _, v in
                        k.record(key, v, base)
                        return true
                    }) else {
                        wellFormed = false
                        return false
                    }
                    guard equals(k.a, "USDT") else { return true }
                    usdt = k
                    return false
                }), wellFormed else { throw .malformedJSON }
            }
            var positionSymbol: SymbolID?
            if let p = inner.P {
                var count = 0
                var c = JSONCursor(bytes, start: p.start, end: p.end)
                guard c.elements({ kind, entry in
                    count += 1
                    guard kind == 0x7B, count == 1 else {
                        positionSymbol = nil
                        return false
                    }
                    var k = Keys()
                    var ec = JSONCursor(bytes, start: entry.start, end: entry.end)
                    guard ec.members({ key, _, v in
                        k.record(key, v, base)
                        return true
                    }) else { return false }
                    positionSymbol = k.s.flatMap { text($0) }.flatMap { symbols.id($0) }
                    return true
                }) else { throw .malformedJSON }
            }
            func money(_ span: JSONSpan?) throws(BinanceParseError) -> Price? {
                guard let span else { return nil }
                return Price(raw: try BinanceStreamParser.fixed(span, base, BinanceAccountUpdate.moneyScale, rounding: true))
            }
            return .accountUpdate(BinanceAccountUpdate(
                eventTimeMs: eventTime, reason: reason, usdtWalletBalance: try money(usdt?.wb),
                usdtBalanceChange: try money(usdt?.bc), positionSymbol: positionSymbol))
        }
        let isOrder = equals(e, "ORDER_TRADE_UPDATE"), isLite = equals(e, "TRADE_LITE"), isAlgo = equals(e, "ALGO_UPDATE")
        guard isOrder || isLite || isAlgo else { throw .unknownEvent }
        var o = top
        if isOrder || isAlgo {
            guard let span = top.o else { throw .missingField }
            o = try keys(span)
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
        if isAlgo {
            guard let aid = o.aid else { throw .missingField }
            let x = o.X
            let status: BinanceAlgoStatus =
                equals(x, "NEW") ? .new : equals(x, "CANCELED") ? .canceled : equals(x, "TRIGGERING") ? .triggering
                : equals(x, "TRIGGERED") ? .triggered : equals(x, "FINISHED") ? .finished : equals(x, "REJECTED") ? .rejected
                : equals(x, "EXPIRED") ? .expired : .other
            return .algoUpdate(BinanceAlgoUpdate(
                eventTimeMs: eventTime, symbol: symbol, algoID: try int(aid),
                clientOrderID: orderID(o.caid, base, prefix, account), status: status, orderType: orderType(o.o),
                actualOrderID: try int(o.ai), triggerPrice: try price(o.tp)))
        }
        let side: Side = equals(o.S, "SELL") ? .sell : .buy
        let status = o.X
        let orderStatus: BinanceOrderStatus =
            equals(status, "NEW") ? .new : equals(status, "PARTIALLY_FILLED") ? .partiallyFilled
            : equals(status, "FILLED") ? .filled : equals(status, "CANCELED") ? .canceled : equals(status, "EXPIRED") ? .expired
            : equals(status, "EXPIRED_IN_MATCH") ? .expiredInMatch : .other
        let lastQuantity = try quantity(o.l), cumulative = try quantity(o.z)
        let x = o.x
        let origType = isLite ? nil : orderType(o.ot)
        let liquidation = equals(x, "CALCULATED")
        let kind: ExecutionKind
        if isLite {
            kind = .partiallyFilled
        } else if equals(x, "TRADE") {
            kind = orderStatus == .filled ? .filled : .partiallyFilled
        } else if equals(x, "NEW") || equals(x, "AMENDMENT") {
            kind = .accepted
        } else if equals(x, "CANCELED") {
            kind = .canceled
        } else if equals(x, "EXPIRED") {
            kind = .expired
        } else if equals(x, "REJECTED") {
            kind = .rejected
        } else if liquidation {
            let ordered = try quantity(o.q)
            kind = lastQuantity.raw <= 0 ? .accepted
                : orderStatus == .filled || (ordered.raw > 0 && cumulative.raw >= ordered.raw) ? .filled : .partiallyFilled
        } else {
            kind = orderStatus == .canceled ? .canceled
                : orderStatus == .expired || orderStatus == .expiredInMatch ? .expired : .accepted
        }
        let reduceOnly = try bool(o.R), closePosition = try bool(o.cp)
        let closing = reduceOnly || closePosition
        let closeReason: CloseReason =
            liquidation ? .liquidation
            : !closing ? .none
            : origType == .stopMarket || origType == .stop || origType == .trailingStopMarket ? .stopLoss
            : origType == .takeProfitMarket || origType == .takeProfit ? .takeProfit : .none
        let time = try int(o.T ?? top.T)
        let report = ExecutionReport(
            ingressNs: ingressNs, eventTimeMs: time == 0 ? eventTime : time,
            clientOrderID: orderID(o.c, base, prefix, account), venueOrderID: try int(o.i), account: account,
            symbol: symbol, side: side, kind: kind, tradeID: try int(o.t), lastFillQuantity: lastQuantity,
            lastFillPrice: try price(o.L), cumulativeQuantity: cumulative, averagePrice: try price(o.ap),
            commission: try price(o.n), realizedPnL: try price(o.rp), closeReason: closeReason)
        return isLite ? .tradeLite(report) : .execution(report, orderStatus: orderStatus, origType: origType)
    }
}

extension JSONCursor {
    /// Visits each element of the array starting at the cursor: value kind (its first byte) and
    /// span (objects and arrays with their brackets, strings without quotes). The visitor
    /// returns false to stop early. False on malformed input. No allocation.
    mutating func elements(_ visit: (UInt8, JSONSpan) -> Bool) -> Bool {
        guard consume(0x5B) else { return false }
        skipWhitespace()
        if peek() == 0x5D {
            i &+= 1
            return true
        }
        while true {
            guard let (kind, span) = value() else { return false }
            if !visit(kind, span) { return true }
            skipWhitespace()
            guard let c = peek() else { return false }
            i &+= 1
            if c == 0x5D { return true }
            if c != 0x2C { return false }
        }
    }
}
