/// Everything the HTTP/WebSocket layer must publish, in the order it happened. Market events map
/// to Binance's market streams; account-scoped events to the user data stream of that account.
enum SimEvent: Sendable {
    /// `@trade`.
    case trade(symbol: String, tradeId: Int64, price: SimDecimal, qty: SimDecimal, buyerIsMaker: Bool, timeMs: Int64)
    /// `@aggTrade` (one aggregate per trade).
    case aggTrade(symbol: String, aggTradeId: Int64, price: SimDecimal, qty: SimDecimal, firstTradeId: Int64,
                  lastTradeId: Int64, buyerIsMaker: Bool, timeMs: Int64)
    /// `@bookTicker` (sent when the top of book changed).
    case bookTicker(symbol: String, updateId: Int64, bidPrice: SimDecimal, bidQty: SimDecimal, askPrice: SimDecimal,
                    askQty: SimDecimal, timeMs: Int64)
    /// `@depth` / `@depth@100ms` diff (U = firstUpdateId, u = finalUpdateId, pu = prevFinalUpdateId).
    /// `bids`/`asks` hold every current level best-first, then zero-quantity entries for prices
    /// that left the book: a valid diff, and (non-zero prefix) a snapshot for `@depth<N>`.
    case depth(symbol: String, firstUpdateId: Int64, finalUpdateId: Int64, prevFinalUpdateId: Int64,
               bids: [(SimDecimal, SimDecimal)], asks: [(SimDecimal, SimDecimal)], timeMs: Int64)
    /// `@kline_<interval>`; closed candles are sent once with `isClosed` true.
    case kline(symbol: String, interval: String, kline: SimKline, isClosed: Bool, eventMs: Int64)
    /// `@markPrice` / `@markPrice@1s` (sent once per simulated second).
    case markPrice(symbol: String, markPrice: SimDecimal, indexPrice: SimDecimal, estimatedSettlePrice: SimDecimal,
                   fundingRate: SimDecimal, nextFundingTime: Int64, timeMs: Int64)
    /// ORDER_TRADE_UPDATE (E/T = `order.updateTime`).
    case orderUpdate(account: SimAccountID, order: SimOrder, execType: SimExecType, lastFill: SimFill?)
    /// ACCOUNT_UPDATE; `reason` is Binance's `m` ("ORDER", "FUNDING_FEE", …).
    case accountUpdate(account: SimAccountID, reason: String, balances: [SimBalanceUpdate], positions: [SimPositionUpdate],
                       timeMs: Int64)
    /// ALGO_UPDATE.
    case algoUpdate(account: SimAccountID, order: SimAlgoOrder, timeMs: Int64)
    /// MARGIN_CALL.
    case marginCall(account: SimAccountID, crossWalletBalance: SimDecimal, positions: [SimMarginCallPosition], timeMs: Int64)
    /// TRADE_LITE.
    case tradeLite(account: SimAccountID, order: SimOrder, fill: SimFill)

    /// The account a user event belongs to (nil for market events).
    var account: SimAccountID? {
        switch self {
        case .orderUpdate(let a, _, _, _), .accountUpdate(let a, _, _, _, _), .algoUpdate(let a, _, _),
             .marginCall(let a, _, _, _), .tradeLite(let a, _, _):
            return a
        default:
            return nil
        }
    }

    /// The symbol of a market event (nil for user events).
    var symbol: String? {
        switch self {
        case .trade(let s, _, _, _, _, _), .aggTrade(let s, _, _, _, _, _, _, _), .bookTicker(let s, _, _, _, _, _, _),
             .depth(let s, _, _, _, _, _, _), .kline(let s, _, _, _, _), .markPrice(let s, _, _, _, _, _, _):
            return s
        default:
            return nil
        }
    }
}

extension SimEvent: CustomStringConvertible {
    /// A complete, deterministic rendering (used to compare runs).
    var description: String {
        func lv(_ l: [(SimDecimal, SimDecimal)]) -> String { l.map { "\($0.0)@\($0.1)" }.joined(separator: ",") }
        func o(_ x: SimOrder) -> String {
            "#\(x.orderId)/\(x.clientOrderId) \(x.symbol) \(x.side.rawValue) \(x.type.rawValue)/\(x.origType.rawValue) "
                + "\(x.timeInForce.rawValue) p=\(x.price) avg=\(x.avgPrice) q=\(x.origQty) x=\(x.executedQty) "
                + "cq=\(x.cumQuote) \(x.status.rawValue) ro=\(x.reduceOnly) sp=\(x.stopPrice) t=\(x.time)/\(x.updateTime) "
                + "fee=\(x.cumCommission) rp=\(x.cumRealizedPnl)"
        }
        func f(_ x: SimFill?) -> String {
            guard let x else { return "-" }
            return "fill#\(x.tradeId) \(x.price)x\(x.qty) fee=\(x.commission) rp=\(x.realizedPnl) m=\(x.isMaker) t=\(x.time)"
        }
        func a(_ x: SimAlgoOrder) -> String {
            "algo#\(x.algoId)/\(x.clientAlgoId) \(x.symbol) \(x.side.rawValue) \(x.orderType.rawValue) \(x.algoStatus.rawValue) "
                + "tp=\(x.triggerPrice) p=\(x.price) q=\(x.quantity) act=\(x.actualOrderId ?? 0) x=\(x.executedQty) avg=\(x.avgPrice)"
        }
        switch self {
        case let .trade(s, id, p, q, m, t): return "trade \(s) \(id) \(p)x\(q) m=\(m) t=\(t)"
        case let .aggTrade(s, id, p, q, f1, l1, m, t): return "aggTrade \(s) \(id) \(p)x\(q) \(f1)-\(l1) m=\(m) t=\(t)"
        case let .bookTicker(s, u, bp, bq, ap, aq, t): return "bookTicker \(s) u=\(u) \(bp)x\(bq) / \(ap)x\(aq) t=\(t)"
        case let .depth(s, U, u, pu, b, a, t): return "depth \(s) U=\(U) u=\(u) pu=\(pu) b=[\(lv(b))] a=[\(lv(a))] t=\(t)"
        case let .kline(s, i, k, c, t):
            return "kline \(s) \(i) \(k.openTime) o=\(k.open) h=\(k.high) l=\(k.low) c=\(k.close) v=\(k.volume) "
                + "qv=\(k.quoteVolume) n=\(k.trades) closed=\(c) t=\(t)"
        case let .markPrice(s, m, i, e, r, n, t): return "markPrice \(s) \(m) \(i) \(e) r=\(r) next=\(n) t=\(t)"
        case let .orderUpdate(acc, x, e, fill): return "orderUpdate \(acc) \(e.rawValue) \(o(x)) \(f(fill))"
        case let .accountUpdate(acc, r, b, p, t):
            let bs = b.map { "\($0.asset) wb=\($0.walletBalance) cw=\($0.crossWalletBalance) bc=\($0.balanceChange)" }
            let ps = p.map {
                "\($0.symbol) pa=\($0.positionAmt) ep=\($0.entryPrice) bep=\($0.breakEvenPrice) cr=\($0.accumulatedRealized) "
                    + "up=\($0.unrealizedPnl) \($0.marginType) iw=\($0.isolatedWallet)"
            }
            return "accountUpdate \(acc) \(r) [\(bs.joined(separator: ";"))] [\(ps.joined(separator: ";"))] t=\(t)"
        case let .algoUpdate(acc, x, t): return "algoUpdate \(acc) \(a(x)) t=\(t)"
        case let .marginCall(acc, cw, p, t):
            return "marginCall \(acc) cw=\(cw) [\(p.map { "\($0.symbol) pa=\($0.positionAmt) mm=\($0.maintMargin)" }.joined(separator: ";"))] t=\(t)"
        case let .tradeLite(acc, x, fill): return "tradeLite \(acc) #\(x.orderId) \(f(fill))"
        }
    }
}
