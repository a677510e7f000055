import TicklineBinance
import TicklineCore

/// `POST`/`GET /fapi/v1/order`: the venue's view of one order.
public struct OrderAck: Sendable, Equatable {
    public var symbol: SymbolID
    public var orderID: Int64
    public var clientOrderID: ClientOrderID
    public var status: BinanceOrderStatus
    public var side: Side
    public var executedQuantity: Quantity
    public var averagePrice: Price
    public var reduceOnly: Bool
    public var updateTimeMs: Int64
}

/// `POST`/`GET`/`DELETE /fapi/v1/algoOrder` and the rows of `openAlgoOrders`: one conditional order.
public struct AlgoOrderAck: Sendable, Equatable {
    public var symbol: SymbolID
    public var algoID: Int64
    public var clientAlgoID: ClientOrderID
    public var status: BinanceAlgoStatus
    public var type: OrderType
    public var side: Side
    public var triggerPrice: Price
    public var workingType: WorkingType
    public var updateTimeMs: Int64
}

/// One row of `GET /fapi/v2/positionRisk` (one-way mode: one row per symbol).
public struct PositionRisk: Sendable, Equatable {
    public var symbol: SymbolID
    /// Signed: positive long, negative short, zero flat.
    public var amount: Quantity
    public var entryPrice: Price
    public var markPrice: Price
    /// USDT, at the symbol's price scale (rounded to nearest).
    public var unrealizedProfit: Price
    public var leverage: Int
    public var isolated: Bool
    public var updateTimeMs: Int64

    public var side: Side? { amount.raw > 0 ? .buy : amount.raw < 0 ? .sell : nil }
}

/// One row of `GET /fapi/v2/balance`: one margin asset of the account (USDT for us; Binance
/// lists every asset the account holds, zero balances included).
///
/// Amounts are USD-M's account amounts, at `AssetBalance.amountScale` (8 places, as Binance
/// writes them). A cold-path value read at start-up and on demand, hence the `String` asset.
public struct AssetBalance: Sendable, Equatable {
    /// 8 decimal places: how Binance writes balances and PnL.
    public static let amountScale = DecimalScale(places: 8)

    /// `asset`: "USDT", "BNB", …
    public var asset: String
    /// `balance`: the wallet balance (realized PnL, fees and funding in; unrealized PnL not).
    public var walletBalance: Price
    /// `availableBalance`: what new positions and orders may still use as margin.
    public var availableBalance: Price
    /// `crossUnPnl`: unrealized PnL of the asset's cross-margin positions.
    public var crossUnrealizedPnL: Price
    public var updateTimeMs: Int64

    public init(asset: String, walletBalance: Price, availableBalance: Price, crossUnrealizedPnL: Price,
                updateTimeMs: Int64) {
        self.asset = asset
        self.walletBalance = walletBalance
        self.availableBalance = availableBalance
        self.crossUnrealizedPnL = crossUnrealizedPnL
        self.updateTimeMs = updateTimeMs
    }
}

extension Array where Element == AssetBalance {
    /// The row of `asset` (exact, case-sensitive: Binance writes assets upper-case).
    public func asset(_ asset: String) -> AssetBalance? { first { $0.asset == asset } }

    /// The USDT row (the margin asset of every symbol we trade).
    public func usdt() -> AssetBalance? { asset("USDT") }
}

/// One row of `GET /fapi/v1/userTrades`: one fill of one of the account's orders (the venue's
/// record, which start-up reconciliation compares with the journal's `fills`).
///
/// Price at the symbol's price scale, quantity at its quantity scale; `commission` and
/// `realizedPnL` in the quote asset at the symbol's price scale, rounded to nearest (the
/// `ExecutionReport` convention). `commission` is the fee paid, as a magnitude: Binance's
/// documented example writes it negative ("-0.07819010") while its answers and the user-data
/// stream's `n` write it positive, so the sign is not trusted.
public struct UserTrade: Sendable, Equatable {
    public var symbol: SymbolID
    /// `id`: the venue's trade id (increases with time per symbol).
    public var tradeID: Int64
    /// `orderId`: the venue's order id (the row carries no client order id).
    public var orderID: Int64
    public var side: Side
    public var price: Price
    public var quantity: Quantity
    public var commission: Price
    /// `realizedPnl`: gross of commission (Binance's realized profit of the fill).
    public var realizedPnL: Price
    public var timeMs: Int64
    public var buyer: Bool
    public var maker: Bool

    public init(symbol: SymbolID, tradeID: Int64, orderID: Int64, side: Side, price: Price, quantity: Quantity,
                commission: Price, realizedPnL: Price, timeMs: Int64, buyer: Bool, maker: Bool) {
        self.symbol = symbol
        self.tradeID = tradeID
        self.orderID = orderID
        self.side = side
        self.price = price
        self.quantity = quantity
        self.commission = commission
        self.realizedPnL = realizedPnL
        self.timeMs = timeMs
        self.buyer = buyer
        self.maker = maker
    }
}

/// The price a conditional order watches (`workingType`).
public enum WorkingType: UInt8, Sendable, BitwiseCopyable {
    case contractPrice = 1, markPrice

    var wire: StaticString { self == .markPrice ? "MARK_PRICE" : "CONTRACT_PRICE" }
}

/// The protective orders placed with every position.
public enum ProtectiveKind: UInt8, Sendable, BitwiseCopyable {
    /// `STOP_MARKET`
    case stopLoss = 1
    /// `TAKE_PROFIT_MARKET`
    case takeProfit

    var wire: StaticString { self == .stopLoss ? "STOP_MARKET" : "TAKE_PROFIT_MARKET" }
}

/// `POST /fapi/v1/marginType`: -4046 "No need to change margin type" is success too.
public enum MarginTypeChange: Sendable, Equatable { case changed, unchanged }

/// Readers for the response bodies above (in place; nil on a malformed or unknown-symbol body).
enum VenueResponseParser {
    typealias J = ResponseJSON

    static func order(_ b: UnsafeRawBufferPointer, _ span: ResponseSpan? = nil, symbols: BinanceSymbols) -> OrderAck? {
        var symbol: SymbolID?, orderID: Int64?, cid = ClientOrderID(), status = BinanceOrderStatus.other
        var side = Side.buy, executed: ResponseSpan?, average: ResponseSpan?, reduceOnly = false, time: Int64 = 0
        let ok = J.members(b, span) { k, _, v in
            if J.equals(b, k, "symbol") { symbol = id(b, v, symbols) }
            else if J.equals(b, k, "orderId") { orderID = J.int(b, v) }
            else if J.equals(b, k, "clientOrderId") { cid = ClientOrderID(J.slice(b, v)) ?? ClientOrderID() }
            else if J.equals(b, k, "status") { status = orderStatus(b, v) }
            else if J.equals(b, k, "side") { side = J.equals(b, v, "SELL") ? .sell : .buy }
            else if J.equals(b, k, "executedQty") { executed = v }
            else if J.equals(b, k, "avgPrice") { average = v }
            else if J.equals(b, k, "reduceOnly") { reduceOnly = J.equals(b, v, "true") }
            else if J.equals(b, k, "updateTime") { time = J.int(b, v) ?? 0 }
        }
        guard ok, let symbol, let orderID else { return nil }
        let qs = symbols.quantityScales[symbol.index], ps = symbols.priceScales[symbol.index]
        let qty = executed.flatMap { Quantity.parse(J.slice(b, $0), scale: qs) } ?? Quantity(raw: 0)
        let avg = average.flatMap { Price.parse(J.slice(b, $0), scale: ps, rounding: .toNearestOrEven) } ?? .zero
        return OrderAck(symbol: symbol, orderID: orderID, clientOrderID: cid, status: status, side: side,
                        executedQuantity: qty, averagePrice: avg, reduceOnly: reduceOnly, updateTimeMs: time)
    }

    static func algoOrder(_ b: UnsafeRawBufferPointer, _ span: ResponseSpan? = nil, symbols: BinanceSymbols) -> AlgoOrderAck? {
        var symbol: SymbolID?, algoID: Int64?, cid = ClientOrderID(), status = BinanceAlgoStatus.other
        var type = OrderType.stopMarket, side = Side.buy, trigger: ResponseSpan?, working = WorkingType.contractPrice
        var time: Int64 = 0
        let ok = J.members(b, span) { k, _, v in
            if J.equals(b, k, "symbol") { symbol = id(b, v, symbols) }
            else if J.equals(b, k, "algoId") { algoID = J.int(b, v) }
            else if J.equals(b, k, "clientAlgoId") { cid = ClientOrderID(J.slice(b, v)) ?? ClientOrderID() }
            else if J.equals(b, k, "algoStatus") { status = algoStatus(b, v) }
            else if J.equals(b, k, "orderType") || J.equals(b, k, "type") { type = orderType(b, v) }
            else if J.equals(b, k, "side") { side = J.equals(b, v, "SELL") ? .sell : .buy }
            else if J.equals(b, k, "triggerPrice") { trigger = v }
            else if J.equals(b, k, "workingType") { working = J.equals(b, v, "MARK_PRICE") ? .markPrice : .contractPrice }
            else if J.equals(b, k, "updateTime") { time = J.int(b, v) ?? 0 }
        }
        guard ok, let symbol, let algoID else { return nil }
        let ps = symbols.priceScales[symbol.index]
        let triggerPrice = trigger.flatMap { Price.parse(J.slice(b, $0), scale: ps, rounding: .toNearestOrEven) } ?? .zero
        return AlgoOrderAck(symbol: symbol, algoID: algoID, clientAlgoID: cid, status: status, type: type, side: side,
                            triggerPrice: triggerPrice, workingType: working, updateTimeMs: time)
    }

    /// An array of algo orders; rows of symbols outside the table are skipped.
    static func algoOrders(_ b: UnsafeRawBufferPointer, symbols: BinanceSymbols) -> [AlgoOrderAck]? {
        var out: [AlgoOrderAck] = []
        var bad = false
        let ok = J.elements(b) { kind, v in
            guard kind == J.object else { return bad = true }
            if let a = algoOrder(b, v, symbols: symbols) {
                out.append(a)
            } else if !hasUnknownSymbol(b, v, symbols) {
                bad = true
            }
        }
        return ok && !bad ? out : nil
    }

    /// `positionRisk` rows; rows of symbols outside the table are skipped.
    static func positions(_ b: UnsafeRawBufferPointer, symbols: BinanceSymbols) -> [PositionRisk]? {
        var out: [PositionRisk] = []
        var bad = false
        let ok = J.elements(b) { kind, row in
            guard kind == J.object else { return bad = true }
            var symbol: SymbolID?, amount: ResponseSpan?, entry: ResponseSpan?, mark: ResponseSpan?, pnl: ResponseSpan?
            var leverage = 0, isolated = false, time: Int64 = 0, named = false
            guard J.members(b, row, { k, _, v in
                if J.equals(b, k, "symbol") {
                    named = true
                    symbol = id(b, v, symbols)
                } else if J.equals(b, k, "positionAmt") { amount = v }
                else if J.equals(b, k, "entryPrice") { entry = v }
                else if J.equals(b, k, "markPrice") { mark = v }
                else if J.equals(b, k, "unRealizedProfit") { pnl = v }
                else if J.equals(b, k, "leverage") { leverage = Int(J.int(b, v) ?? 0) }
                else if J.equals(b, k, "marginType") { isolated = J.equals(b, v, "isolated") || J.equals(b, v, "ISOLATED") }
                else if J.equals(b, k, "updateTime") { time = J.int(b, v) ?? 0 }
            }) else { return bad = true }
            guard let symbol else {
                if !named { bad = true }
                return  // a symbol we do not trade
            }
            let qs = symbols.quantityScales[symbol.index], ps = symbols.priceScales[symbol.index]
            func price(_ s: ResponseSpan?) -> Price? {
                s.flatMap { Price.parse(J.slice(b, $0), scale: ps, rounding: .toNearestOrEven) }
            }
            guard let amount, let q = Quantity.parse(J.slice(b, amount), scale: qs) else { return bad = true }
            out.append(PositionRisk(symbol: symbol, amount: q, entryPrice: price(entry) ?? .zero, markPrice: price(mark) ?? .zero,
                                    unrealizedProfit: price(pnl) ?? .zero, leverage: leverage, isolated: isolated,
                                    updateTimeMs: time))
        }
        return ok && !bad ? out : nil
    }

    /// `balance` rows: `asset`, `balance` and `availableBalance` required, `crossUnPnl` and
    /// `updateTime` zero when absent; amounts rounded to nearest at 8 places. Other members
    /// (`accountAlias`, `crossWalletBalance`, `maxWithdrawAmount`, `marginAvailable`) are skipped.
    static func balances(_ b: UnsafeRawBufferPointer) -> [AssetBalance]? {
        var out: [AssetBalance] = []
        var bad = false
        let scale = AssetBalance.amountScale
        let ok = J.elements(b) { kind, row in
            guard kind == J.object else { return bad = true }
            var asset: String?, wallet: ResponseSpan?, available: ResponseSpan?, pnl: ResponseSpan?, time: Int64 = 0
            guard J.members(b, row, { k, kind, v in
                if J.equals(b, k, "asset") { asset = kind == J.string ? J.string(b, v) : nil }
                else if J.equals(b, k, "balance") { wallet = v }
                else if J.equals(b, k, "availableBalance") { available = v }
                else if J.equals(b, k, "crossUnPnl") { pnl = v }
                else if J.equals(b, k, "updateTime") { time = J.int(b, v) ?? 0 }
            }) else { return bad = true }
            func amount(_ s: ResponseSpan) -> Price? {
                Price.parse(J.slice(b, s), scale: scale, rounding: .toNearestOrEven)
            }
            guard let asset, !asset.isEmpty, let w = wallet.flatMap(amount), let a = available.flatMap(amount)
            else { return bad = true }
            let u: Price
            if let pnl {
                guard let parsed = amount(pnl) else { return bad = true }
                u = parsed
            } else {
                u = .zero
            }
            out.append(AssetBalance(asset: asset, walletBalance: w, availableBalance: a, crossUnrealizedPnL: u,
                                    updateTimeMs: time))
        }
        return ok && !bad ? out : nil
    }

    /// `userTrades` rows: `symbol`, `id`, `orderId`, `side`, `price` and `qty` required;
    /// `commission`, `realizedPnl` and `time` zero and `buyer`/`maker` false when absent. Rows of
    /// symbols outside the table are skipped (a query names one symbol, so there are none).
    static func userTrades(_ b: UnsafeRawBufferPointer, symbols: BinanceSymbols) -> [UserTrade]? {
        var out: [UserTrade] = []
        var bad = false
        let ok = J.elements(b) { kind, row in
            guard kind == J.object else { return bad = true }
            var symbol: SymbolID?, named = false, tradeID: Int64?, orderID: Int64?, side: Side?
            var price: ResponseSpan?, qty: ResponseSpan?, commission: ResponseSpan?, pnl: ResponseSpan?
            var time: Int64 = 0, buyer = false, maker = false
            guard J.members(b, row, { k, _, v in
                if J.equals(b, k, "symbol") {
                    named = true
                    symbol = id(b, v, symbols)
                } else if J.equals(b, k, "id") { tradeID = J.int(b, v) }
                else if J.equals(b, k, "orderId") { orderID = J.int(b, v) }
                else if J.equals(b, k, "side") {
                    side = J.equals(b, v, "BUY") ? .buy : J.equals(b, v, "SELL") ? .sell : nil
                } else if J.equals(b, k, "price") { price = v }
                else if J.equals(b, k, "qty") { qty = v }
                else if J.equals(b, k, "commission") { commission = v }
                else if J.equals(b, k, "realizedPnl") { pnl = v }
                else if J.equals(b, k, "time") { time = J.int(b, v) ?? 0 }
                else if J.equals(b, k, "buyer") { buyer = J.equals(b, v, "true") }
                else if J.equals(b, k, "maker") { maker = J.equals(b, v, "true") }
            }) else { return bad = true }
            guard let symbol else {
                if !named { bad = true }
                return  // a symbol we do not trade
            }
            let qs = symbols.quantityScales[symbol.index], ps = symbols.priceScales[symbol.index]
            func amount(_ s: ResponseSpan) -> Price? {
                Price.parse(J.slice(b, s), scale: ps, rounding: .toNearestOrEven)
            }
            guard let tradeID, let orderID, let side, let p = price.flatMap(amount),
                  let q = qty.flatMap({ Quantity.parse(J.slice(b, $0), scale: qs) })
            else { return bad = true }
            var fee = Price.zero, realized = Price.zero
            if let commission {
                guard let c = amount(commission) else { return bad = true }
                fee = Price(raw: c.raw < 0 ? -c.raw : c.raw)
            }
            if let pnl {
                guard let r = amount(pnl) else { return bad = true }
                realized = r
            }
            out.append(UserTrade(symbol: symbol, tradeID: tradeID, orderID: orderID, side: side, price: p, quantity: q,
                                 commission: fee, realizedPnL: realized, timeMs: time, buyer: buyer, maker: maker))
        }
        return ok && !bad ? out : nil
    }

    /// `{"listenKey":"…"}`.
    static func listenKey(_ b: UnsafeRawBufferPointer) -> String? {
        var key: String?
        guard J.members(b, nil, { k, kind, v in
            if kind == J.string, J.equals(b, k, "listenKey") { key = J.string(b, v) }
        }) else { return nil }
        return key.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// `{"leverage":20,"maxNotionalValue":"…","symbol":"…"}`.
    static func leverage(_ b: UnsafeRawBufferPointer) -> Int? {
        var leverage: Int?
        guard J.members(b, nil, { k, _, v in
            if J.equals(b, k, "leverage") { leverage = J.int(b, v).map(Int.init) }
        }) else { return nil }
        return leverage
    }

    // MARK: helpers

    static func id(_ b: UnsafeRawBufferPointer, _ v: ResponseSpan, _ symbols: BinanceSymbols) -> SymbolID? {
        v.count > 0 ? symbols.id(J.slice(b, v)) : nil
    }

    /// The row is an object with a symbol we do not know (to be skipped, not an error).
    static func hasUnknownSymbol(_ b: UnsafeRawBufferPointer, _ row: ResponseSpan, _ symbols: BinanceSymbols) -> Bool {
        var unknown = false
        _ = J.members(b, row) { k, _, v in
            if J.equals(b, k, "symbol") { unknown = id(b, v, symbols) == nil }
        }
        return unknown
    }

    static func orderStatus(_ b: UnsafeRawBufferPointer, _ v: ResponseSpan) -> BinanceOrderStatus {
        J.equals(b, v, "NEW") ? .new : J.equals(b, v, "PARTIALLY_FILLED") ? .partiallyFilled
            : J.equals(b, v, "FILLED") ? .filled : J.equals(b, v, "CANCELED") ? .canceled
            : J.equals(b, v, "EXPIRED") ? .expired : J.equals(b, v, "EXPIRED_IN_MATCH") ? .expiredInMatch : .other
    }

    static func algoStatus(_ b: UnsafeRawBufferPointer, _ v: ResponseSpan) -> BinanceAlgoStatus {
        J.equals(b, v, "NEW") ? .new : J.equals(b, v, "CANCELED") ? .canceled : J.equals(b, v, "TRIGGERING") ? .triggering
            : J.equals(b, v, "TRIGGERED") ? .triggered : J.equals(b, v, "FINISHED") ? .finished
            : J.equals(b, v, "REJECTED") ? .rejected : J.equals(b, v, "EXPIRED") ? .expired : .other
    }

    static func orderType(_ b: UnsafeRawBufferPointer, _ v: ResponseSpan) -> OrderType {
        J.equals(b, v, "STOP_MARKET") ? .stopMarket : J.equals(b, v, "TAKE_PROFIT_MARKET") ? .takeProfitMarket
            : J.equals(b, v, "STOP") ? .stop : J.equals(b, v, "TAKE_PROFIT") ? .takeProfit
            : J.equals(b, v, "TRAILING_STOP_MARKET") ? .trailingStopMarket : J.equals(b, v, "LIMIT") ? .limit : .market
    }
}
