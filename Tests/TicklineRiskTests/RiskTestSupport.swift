import TicklineCore
@testable import TicklineRisk

/// Symbols of the tests, with Binance-like filters (scales from the increments as written).
enum Sym {
    static let btc = SymbolID(0)  // tick 0.10 (2 places), step 0.001, min notional 100
    static let eth = SymbolID(1)  // tick 0.01, step 0.001, min notional 20
    static let xrp = SymbolID(2)  // tick 0.0001, step 0.1, min notional 5
    static let tst = SymbolID(3)  // tick 0.01, step 1, min notional 5
    static let unconfigured = SymbolID(4)

    static func rules(tstMinNotional: String = "5", tstMaxQuantity: String? = nil,
                      tstMaxNotional: String? = nil) -> [SymbolRules] {
        [SymbolRules(symbol: btc, tickSize: "0.10", stepSize: "0.001", minNotional: "100")!,
         SymbolRules(symbol: eth, tickSize: "0.01", stepSize: "0.001", minNotional: "20")!,
         SymbolRules(symbol: xrp, tickSize: "0.0001", stepSize: "0.1", minNotional: "5")!,
         SymbolRules(symbol: tst, tickSize: "0.01", stepSize: "1", minNotional: tstMinNotional,
                     maxPositionQuantity: tstMaxQuantity, maxPositionNotional: tstMaxNotional)!]
    }

    static func priceScale(_ s: SymbolID) -> DecimalScale {
        DecimalScale(places: [2, 2, 4, 2, 2][s.index])
    }

    static func quantityScale(_ s: SymbolID) -> DecimalScale {
        DecimalScale(places: [3, 3, 1, 0, 0][s.index])
    }
}

func px(_ text: String, _ s: SymbolID) -> Price { Price(text, scale: Sym.priceScale(s))! }
func qty(_ text: String, _ s: SymbolID) -> Quantity { Quantity(text, scale: Sym.quantityScale(s))! }
/// A quote amount at the engine's 8 places.
func money(_ text: String) -> Price { Price(text, scale: RiskEngine.moneyScale)! }

let acct0 = AccountID(0)
let acct1 = AccountID(1)

func makeEngine(_ accounts: [AccountSettings] = [AccountSettings(id: acct0)], wallet: String = "10000",
                rules: [SymbolRules] = Sym.rules(), protective: Bool = false) -> RiskEngine {
    var e = try! RiskEngine(accounts: accounts, symbols: rules, symbolCount: 5, exchangeProtectiveOrders: protective)
    for a in accounts { e.setWalletBalance(a.id, money(wallet)) }
    return e
}

func signal(_ s: SymbolID, _ direction: SignalDirection, entry: String, stopLoss: String? = nil,
            takeProfit: String? = nil, confidenceBp: UInt16 = 8_000, riskRewardBp: UInt32 = 0, id: UInt64 = 1) -> Signal {
    Signal(ingressNs: 7, signalID: id, eventTimeMs: 1_000, symbol: s, interval: .m5, direction: direction, scoreBp: 5_000,
           confidenceBp: confidenceBp, entryPrice: entry.isEmpty ? .zero : px(entry, s),
           stopLoss: stopLoss.map { px($0, s) } ?? .zero, takeProfit: takeProfit.map { px($0, s) } ?? .zero,
           riskRewardBp: riskRewardBp)
}

func trade(_ s: SymbolID, _ price: String, timeMs: Int64 = 1_000) -> MarketEvent {
    MarketEvent(ingressNs: 11, symbol: s, body: .trade(TradeTick(
        eventTimeMs: timeMs, tradeTimeMs: timeMs, tradeID: 1, price: px(price, s), quantity: Quantity(raw: 1),
        aggressor: .buy, isAggregate: true)))
}

func markPrice(_ s: SymbolID, _ price: String, rateE8: Int64, nextFundingMs: Int64, timeMs: Int64) -> MarketEvent {
    MarketEvent(ingressNs: 12, symbol: s, body: .markPrice(MarkPriceUpdate(
        eventTimeMs: timeMs, markPrice: px(price, s), indexPrice: px(price, s), fundingRateE8: rateE8,
        nextFundingTimeMs: nextFundingMs)))
}

func fill(_ intent: OrderIntent, _ quantity: String, at price: String, cumulative: String? = nil,
          commission: String = "0", kind: ExecutionKind = .filled) -> ExecutionReport {
    ExecutionReport(ingressNs: 13, eventTimeMs: 2_000, clientOrderID: intent.clientOrderID, account: intent.account,
                    symbol: intent.symbol, side: intent.side, kind: kind, tradeID: 1,
                    lastFillQuantity: qty(quantity, intent.symbol), lastFillPrice: px(price, intent.symbol),
                    cumulativeQuantity: cumulative.map { qty($0, intent.symbol) } ?? .zero,
                    commission: px(commission, intent.symbol))
}

func outcome(_ intent: OrderIntent, _ kind: ExecutionKind, venueErrorCode: Int16 = 0) -> ExecutionReport {
    ExecutionReport(ingressNs: 13, eventTimeMs: 2_000, clientOrderID: intent.clientOrderID, account: intent.account,
                    symbol: intent.symbol, side: intent.side, kind: kind, venueErrorCode: venueErrorCode)
}

extension RiskEngine {
    /// Opens a position through the normal path: a signal, then one complete fill at the entry.
    mutating func open(_ sig: Signal, fillAt price: String? = nil, account: AccountID = acct0,
                       nowNs: UInt64 = 0) -> OrderIntent {
        handleSignal(sig, nowNs: nowNs)
        let intent = outbox.intents.first { $0.account == account }!
        let entry = price ?? sig.entryPrice.description(scale: Sym.priceScale(sig.symbol))
        handleExecution(fill(intent, intent.quantity.description(scale: Sym.quantityScale(sig.symbol)), at: entry),
                        nowNs: nowNs)
        return intent
    }
}

extension BoundedList {
    /// nil past the end, so a missing element fails the test instead of crashing the run.
    subscript(safe index: Int) -> Element? { index < count ? self[index] : nil }
}
