import Foundation
import Testing
import TicklineBinance
import TicklineCore

/// The user-data parser on the documentation examples (Tests/clients/fixtures, see SOURCE.md),
/// expected values read off the example text by hand. Inline messages are those examples
/// (from /work/shared/data/binance-messages/user_data_json, i.e. nautilus_trader's
/// `test_data/futures/`, taken from Binance's USD-M user-data stream documentation) with the
/// fields under test changed; each says which file it started from.
@Suite struct BinanceUserDataParserTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("clients/fixtures")

    static let symbols: BinanceSymbols = {
        var t = SymbolTable()
        _ = try! t.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try! t.intern(.init(name: "BNBUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 2)))
        return BinanceSymbols(t)
    }()

    func parse(_ name: String) throws -> BinanceUserEvent {
        var parser = BinanceUserDataParser(symbols: Self.symbols)
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
        let result = data.withUnsafeBytes { parser.parse($0, account: AccountID(3), ingressNs: 9) }
        return try result.get()
    }

    func parse(json: String, account: AccountID = AccountID(3), prefix: String = "tl") throws -> BinanceUserEvent {
        var parser = BinanceUserDataParser(symbols: Self.symbols, clientOrderPrefix: prefix)
        let bytes = Array(json.utf8)
        return try bytes.withUnsafeBytes { parser.parse($0, account: account, ingressNs: 9) }.get()
    }

    /// order_update_trade.json with `c`, `x`, `X`, `o`/`ot`, `R`/`cp` replaceable.
    static func orderUpdate(c: String = "TEST", x: String = "TRADE", X: String = "PARTIALLY_FILLED", o: String = "LIMIT",
                            ot: String = "LIMIT", R: Bool = false, cp: Bool = false, l: String = "0.001") -> String {
        """
        {"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"\(c)","S":"BUY",\
        "o":"\(o)","f":"GTC","q":"0.001","p":"7100.50","ap":"7100.50","sp":"0","x":"\(x)","X":"\(X)","i":8886774,\
        "l":"\(l)","z":"\(l)","L":"7100.50","N":"USDT","n":"0.01000000","T":1568879465651,"t":12345678,"b":"0","a":"0",\
        "m":true,"R":\(R),"wt":"CONTRACT_PRICE","ot":"\(ot)","ps":"LONG","cp":\(cp),"AP":"0","cr":"0","pP":false,\
        "si":0,"ss":0,"rp":"12.34","V":"EXPIRE_TAKER"}}
        """
    }

    func execution(_ json: String, account: AccountID = AccountID(3), prefix: String = "tl") throws
        -> (ExecutionReport, BinanceOrderStatus, OrderType?)
    {
        guard case .execution(let r, let status, let origType) = try parse(json: json, account: account, prefix: prefix) else {
            throw ParseFailure.wrongEvent
        }
        return (r, status, origType)
    }

    enum ParseFailure: Error { case wrongEvent }

    /// order_update_trade.json: {"s":"BTCUSDT","c":"TEST","S":"BUY","x":"TRADE","X":"PARTIALLY_FILLED",
    /// "i":8886774,"l":"0.001","z":"0.001","L":"7100.50","ap":"7100.50","n":"0.01000000",
    /// "T":1568879465651,"t":12345678,"rp":"12.34","ot":"LIMIT",…}
    @Test func orderTradeUpdate() throws {
        guard case .execution(let r, let status, let origType) = try parse("order_update_trade.json") else {
            Issue.record("not an execution"); return
        }
        #expect(status == .partiallyFilled && r.kind == .partiallyFilled && origType == .limit)
        #expect(r.account == AccountID(3) && r.symbol == SymbolID(0) && r.side == .buy && r.ingressNs == 9)
        #expect(r.venueOrderID == 8_886_774 && r.tradeID == 12_345_678 && r.eventTimeMs == 1_568_879_465_651)
        #expect(r.lastFillQuantity == Quantity(raw: 1) && r.cumulativeQuantity == Quantity(raw: 1))
        #expect(r.lastFillPrice == Price(raw: 710_050) && r.averagePrice == Price(raw: 710_050))
        #expect(r.commission == Price(raw: 1) && r.realizedPnL == Price(raw: 1234))
        #expect(r.clientOrderID == 0 && r.closeReason == CloseReason.none)  // "TEST" is not one of ours
    }

    @Test func newOrderAccountTradeLiteAndAlgo() throws {
        guard case .execution(let r, let status, let origType) = try parse("order_update_new.json") else {
            Issue.record("no execution"); return
        }
        #expect(status == .new && r.kind == .accepted && origType == .trailingStopMarket)
        guard case .accountUpdate(let u) = try parse("account_update.json") else { Issue.record("no account"); return }
        // B: [{"a":"USDT","wb":"122624.12345678","cw":"100.12345678","bc":"50.12345678"}]
        #expect(u == BinanceAccountUpdate(eventTimeMs: 1_564_745_798_939, reason: .order,
                                          usdtWalletBalance: Price(raw: 12_262_412_345_678),
                                          usdtBalanceChange: Price(raw: 5_012_345_678)))
        guard case .tradeLite(let lite) = try parse("trade_lite.json") else { Issue.record("no trade lite"); return }
        #expect(lite.lastFillPrice == Price(raw: 710_050) && lite.lastFillQuantity == Quantity(raw: 1) && lite.venueOrderID == 8_886_774)
        #expect(lite.clientOrderID == 0)
        guard case .algoUpdate(let a) = try parse("algo_update_new.json") else { Issue.record("no algo"); return }
        // {"caid":"Q5xaq5EGKgXXa0fD7fs0Ip","aid":2148719,"o":"TAKE_PROFIT","s":"BNBUSDT","X":"NEW","ai":"","tp":"750",…}
        #expect(a == BinanceAlgoUpdate(eventTimeMs: 1_750_515_742_303, symbol: SymbolID(1), algoID: 2_148_719,
                                       clientOrderID: 0, status: .new, orderType: .takeProfit, actualOrderID: 0,
                                       triggerPrice: Price(raw: 75_000)))
    }

    // MARK: client order ids

    @Test func ourClientOrderIDDecodes() throws {
        #expect(try execution(Self.orderUpdate(c: "tl-0-2s"), account: AccountID(0)).0.clientOrderID == 100)
        #expect(try execution(Self.orderUpdate(c: "tl-3-2s")).0.clientOrderID == 100)
        #expect(try execution(Self.orderUpdate(c: "tl-3-0")).0.clientOrderID == 0)
        #expect(try execution(Self.orderUpdate(c: "tl-3-1")).0.clientOrderID == 1)
        // Account 1295 is "zz"; the largest sequence is 13 base-36 digits.
        #expect(try execution(Self.orderUpdate(c: "tl-zz-zz"), account: AccountID(1295)).0.clientOrderID == 1295)
        let max = String(UInt64.max, radix: 36)
        #expect(try execution(Self.orderUpdate(c: "tl-3-\(max)")).0.clientOrderID == UInt64.max)
        // TRADE_LITE carries `c` at the top level (trade_lite.json with c changed).
        let lite = #"{"e":"TRADE_LITE","E":1568879465651,"T":1568879465651,"s":"BTCUSDT","c":"tl-3-2s","S":"BUY","q":"0.001","p":"7100.50","i":8886774,"l":"0.001","L":"7100.50","t":12345678,"m":true}"#
        guard case .tradeLite(let r) = try parse(json: lite) else { Issue.record("no trade lite"); return }
        #expect(r.clientOrderID == 100)
    }

    @Test func anotherAccountsIDIsNotOurs() throws {
        #expect(try execution(Self.orderUpdate(c: "tl-1-2s"), account: AccountID(0)).0.clientOrderID == 0)
        #expect(try execution(Self.orderUpdate(c: "tl-0-2s"), account: AccountID(3)).0.clientOrderID == 0)
    }

    @Test(arguments: [
        "web_abc", "x-Cb7ytekJ", "12345", "TEST", "Q5xaq5EGKgXXa0fD7fs0Ip", "autoclose-1234567890",
        "tl-3-02s", "tl-03-2s", "tl-3-00",  // leading zeros: not how ClientOrderIDs writes them
        "tl-3-2S", "TL-3-2s", "tx-3-2s", "tlx-3-2s", "t-3-2s",  // case, other prefixes
        "tl-3-", "tl--2s", "tl-3", "tl-", "tl", "", "tl-3-2s-1", "tl-3-2s ", "tl-3-2_s", "tl-3-2s\\u0041",
        "tl-3-3w5e11264sgsg",  // UInt64.max + 1
    ])
    func foreignClientOrderIDsAreZero(c: String) throws {
        #expect(try execution(Self.orderUpdate(c: c)).0.clientOrderID == 0)
    }

    @Test func otherPrefix() throws {
        #expect(try execution(Self.orderUpdate(c: "bot.1-3-2s"), prefix: "bot.1").0.clientOrderID == 100)
        #expect(try execution(Self.orderUpdate(c: "tl-3-2s"), prefix: "bot.1").0.clientOrderID == 0)
        #expect(try execution(Self.orderUpdate(c: "tlongpfx-3-2s"), prefix: "tlongpfx").0.clientOrderID == 100)
    }

    // MARK: execution types

    @Test func rejectedIsRejected() throws {
        let (r, status, _) = try execution(Self.orderUpdate(c: "tl-3-2s", x: "REJECTED", X: "REJECTED", l: "0"))
        #expect(r.kind == .rejected && status == .other && r.clientOrderID == 100)
    }

    @Test func amendmentIsAcceptedWithoutFill() throws {
        let (r, status, _) = try execution(Self.orderUpdate(x: "AMENDMENT", X: "NEW", l: "0"))
        #expect(r.kind == .accepted && status == .new && r.lastFillQuantity == Quantity(raw: 0))
    }

    @Test func canceledExpiredFilled() throws {
        #expect(try execution(Self.orderUpdate(x: "CANCELED", X: "CANCELED", l: "0")).0.kind == .canceled)
        #expect(try execution(Self.orderUpdate(x: "EXPIRED", X: "EXPIRED_IN_MATCH", l: "0")).0.kind == .expired)
        let (r, status, _) = try execution(Self.orderUpdate(x: "TRADE", X: "FILLED"))
        #expect(r.kind == .filled && status == .filled)
    }

    /// A triggered conditional order: Binance's own `c`, `o` MARKET, `ot` STOP_MARKET, closing
    /// the position (our protective orders are closePosition=true).
    @Test func triggeredStopFillCarriesOrigType() throws {
        let (r, status, origType) = try execution(
            Self.orderUpdate(c: "Kx8FhT2qLm0pZ9wYv3Rb7s", x: "TRADE", X: "FILLED", o: "MARKET", ot: "STOP_MARKET", cp: true))
        #expect(origType == .stopMarket && r.clientOrderID == 0 && r.kind == .filled && status == .filled)
        #expect(r.symbol == SymbolID(0) && r.closeReason == .stopLoss)
        let (tp, _, tpType) = try execution(
            Self.orderUpdate(c: "web_abc", X: "FILLED", o: "MARKET", ot: "TAKE_PROFIT_MARKET", R: true))
        #expect(tpType == .takeProfitMarket && tp.closeReason == .takeProfit)
        // Not closing: an entry stop is not a stop loss.
        #expect(try execution(Self.orderUpdate(X: "FILLED", o: "MARKET", ot: "STOP_MARKET")).0.closeReason == CloseReason.none)
        // A type the engine has no name for.
        #expect(try execution(Self.orderUpdate(o: "LIMIT", ot: "LIQUIDATION")).2 == nil)
    }

    /// order_update_calculated.json, order_update_calculated_pending.json, order_update_adl.json
    /// (trimmed): the exchange's liquidation / ADL orders.
    @Test func calculatedIsALiquidationFill() throws {
        let filled = #"{"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"autoclose-1234567890","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00","ap":"9910.12","sp":"0","x":"CALCULATED","X":"FILLED","i":8886999,"l":"0.014","z":"0.014","L":"9910.12","N":"USDT","n":"0.06937084","T":1568879465651,"t":12345999,"b":"0","a":"0","m":false,"R":true,"wt":"CONTRACT_PRICE","ot":"LIMIT","ps":"LONG","cp":false,"AP":"0","cr":"0","pP":false,"si":0,"ss":0,"rp":"-5.67","V":"NONE"}}"#
        let (r, status, _) = try execution(filled)
        #expect(r.kind == .filled && status == .filled && r.closeReason == .liquidation && r.side == .sell)
        #expect(r.lastFillQuantity == Quantity(raw: 14) && r.lastFillPrice == Price(raw: 991_012) && r.realizedPnL == Price(raw: -567))
        #expect(r.commission == Price(raw: 7))  // 0.06937084 at 2 places, half-even

        let pending = #"{"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"autoclose-pending-0000","S":"SELL","o":"LIMIT","f":"IOC","q":"0.014","p":"9910.00","ap":"0","sp":"0","x":"CALCULATED","X":"NEW","i":8887004,"l":"0","z":"0","L":"0","T":1568879465651,"t":0,"R":true,"ot":"LIMIT","cp":false,"rp":"0"}}"#
        let (p, _, _) = try execution(pending)
        #expect(p.kind == .accepted && p.closeReason == .liquidation)

        let adl = #"{"e":"ORDER_TRADE_UPDATE","T":1568879465651,"E":1568879465651,"o":{"s":"BTCUSDT","c":"adl_autoclose_12345","S":"BUY","o":"LIMIT","f":"IOC","q":"0.005","p":"42000.00","ap":"42000.00","sp":"0","x":"CALCULATED","X":"NEW_ADL","i":8887001,"l":"0.005","z":"0.005","L":"42000.00","N":"USDT","n":"0.10500000","T":1568879465651,"t":12346001,"R":true,"ot":"LIMIT","cp":false,"rp":"-2.50"}}"#
        let (a, adlStatus, _) = try execution(adl)
        #expect(a.kind == .filled && adlStatus == .other && a.closeReason == .liquidation)
    }

    // MARK: ALGO_UPDATE

    /// algo_update_new.json with `caid` ours, `X` TRIGGERED, `o` STOP_MARKET and `ai` set: as a
    /// string (Binance's docs, the simulator's SimRender.algoUpdate) and as a number.
    @Test func algoUpdateDecodesCaidAndActualOrderID() throws {
        for ai in [#""8886775""#, "8886775"] {
            let json = """
                {"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,"o":{"caid":"tl-3-2t","aid":2148719,\
                "at":"CONDITIONAL","o":"STOP_MARKET","s":"BNBUSDT","S":"SELL","ps":"BOTH","f":"GTC","q":"0.01",\
                "X":"TRIGGERED","ai":\(ai),"ap":"0.00000","aq":"0.00000","act":"0","tp":"612.35","p":"0",\
                "V":"EXPIRE_MAKER","wt":"MARK_PRICE","pm":"NONE","cp":true,"pP":false,"R":false,"tt":0,"gtd":0,"rm":""}}
                """
            guard case .algoUpdate(let a) = try parse(json: json) else { Issue.record("no algo"); continue }
            #expect(a == BinanceAlgoUpdate(eventTimeMs: 1_750_515_742_303, symbol: SymbolID(1), algoID: 2_148_719,
                                           clientOrderID: 101, status: .triggered, orderType: .stopMarket,
                                           actualOrderID: 8_886_775, triggerPrice: Price(raw: 61_235)))
        }
        // algo_update_canceled.json: another account's caid decodes to 0.
        let canceled = #"{"e":"ALGO_UPDATE","T":1750515742297,"E":1750515742303,"o":{"caid":"tl-2-2t","aid":2148719,"at":"CONDITIONAL","o":"TAKE_PROFIT_MARKET","s":"BNBUSDT","S":"SELL","X":"CANCELED","ai":"","tp":"750"}}"#
        guard case .algoUpdate(let c) = try parse(json: canceled) else { Issue.record("no algo"); return }
        #expect(c.clientOrderID == 0 && c.status == .canceled && c.orderType == .takeProfitMarket && c.actualOrderID == 0)
    }

    // MARK: ACCOUNT_UPDATE

    /// Binance's FUNDING_FEE shape (account_update.json's layout, reason FUNDING_FEE: only the
    /// changed asset and position are pushed), here with a BNB entry ahead of USDT.
    @Test func fundingFeeReadsUSDTEntry() throws {
        let json = """
            {"e":"ACCOUNT_UPDATE","T":1564745798939,"E":1564745798940,"a":{"m":"FUNDING_FEE",\
            "B":[{"a":"BNB","wb":"1.50000000","cw":"1.50000000","bc":"-0.00100000"},\
            {"a":"USDT","wb":"10000.87654321","cw":"10000.87654321","bc":"-0.12345678"}],\
            "P":[{"s":"BTCUSDT","pa":"0.010","ep":"60000.0","bep":"60000.0","cr":"0","up":"1.2","mt":"cross","iw":"0","ps":"BOTH"}]}}
            """
        guard case .accountUpdate(let u) = try parse(json: json) else { Issue.record("no account update"); return }
        #expect(u == BinanceAccountUpdate(eventTimeMs: 1_564_745_798_940, reason: .fundingFee,
                                          usdtWalletBalance: Price(raw: 1_000_087_654_321),
                                          usdtBalanceChange: Price(raw: -12_345_678), positionSymbol: SymbolID(0)))
    }

    /// `P` names a symbol only when it lists exactly one position of the table.
    @Test func accountUpdatePositionSymbolOnlyWhenOne() throws {
        func update(_ positions: String) throws -> BinanceAccountUpdate? {
            let json = #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"FUNDING_FEE","B":[{"a":"USDT","wb":"1","bc":"-0.1"}],"P":"#
                + positions + "}}"
            guard case .accountUpdate(let u) = try parse(json: json) else { return nil }
            return u
        }
        #expect(try update(#"[{"s":"BNBUSDT","pa":"1"}]"#)?.positionSymbol == SymbolID(1))
        #expect(try update(#"[{"s":"BTCUSDT","pa":"1"},{"s":"BNBUSDT","pa":"1"}]"#)?.positionSymbol == nil)
        #expect(try update(#"[{"s":"DOGEUSDT","pa":"1"}]"#)?.positionSymbol == nil)
        #expect(try update("[]")?.positionSymbol == nil)
    }

    /// account_update_bnfcr.json: no USDT entry, so no USDT balance.
    @Test func accountUpdateWithoutUSDT() throws {
        let json = #"{"e":"ACCOUNT_UPDATE","T":1781606859764,"E":1781606859764,"a":{"m":"ORDER","B":[{"a":"BNFCR","wb":"5001.28983031","cw":"5001.28983031","bc":"0"}],"P":[]}}"#
        guard case .accountUpdate(let u) = try parse(json: json) else { Issue.record("no account update"); return }
        #expect(u.reason == .order && u.usdtWalletBalance == nil && u.usdtBalanceChange == nil)
        let empty = #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ADMIN_DEPOSIT","B":[],"P":[]}}"#
        guard case .accountUpdate(let v) = try parse(json: empty) else { Issue.record("no account update"); return }
        #expect(v.reason == .adminDeposit && v.usdtWalletBalance == nil)
    }

    @Test func malformedBalanceArrayIsAnError() {
        for json in [
            #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":["USDT"]}}"#,
            #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":[{"a":"BNB"} {"a":"USDT","wb":"1"}]}}"#,  // before the USDT entry (the scan stops there)
            #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":{"a":"USDT"}}}"#,
        ] {
            #expect(throws: BinanceParseError.malformedJSON) { try parse(json: json) }
        }
        #expect(throws: BinanceParseError.badDecimal) {
            try parse(json: #"{"e":"ACCOUNT_UPDATE","E":1,"a":{"m":"ORDER","B":[{"a":"USDT","wb":"1x"}]}}"#)
        }
    }

    @Test func messagesStaySmall() {
        #expect(MemoryLayout<BinanceAlgoUpdate>.size <= 64)
        #expect(MemoryLayout<BinanceAccountUpdate>.size <= 48)
    }

    @Test func listenKeyExpiredAndErrors() throws {
        var parser = BinanceUserDataParser(symbols: BinanceSymbols(SymbolTable()))
        let expired = Array(#"{"e":"listenKeyExpired","E":1576653824250,"listenKey":"abc"}"#.utf8)
        guard case .success(.listenKeyExpired(let t)) = expired.withUnsafeBytes({ parser.parse($0, account: AccountID(0), ingressNs: 0) })
        else { Issue.record("not parsed"); return }
        #expect(t == 1_576_653_824_250)
        let unknown = Array(#"{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"DOGEUSDT"}}"#.utf8)
        guard case .failure(.unknownSymbol) = unknown.withUnsafeBytes({ parser.parse($0, account: AccountID(0), ingressNs: 0) })
        else { Issue.record("unknown symbol accepted"); return }
        let truncated = Array(#"{"e":"ORDER_TRADE_UPDATE","E":1,"o":{"s":"BTC"#.utf8)
        guard case .failure(.malformedJSON) = truncated.withUnsafeBytes({ parser.parse($0, account: AccountID(0), ingressNs: 0) })
        else { Issue.record("truncated accepted"); return }
        #expect(parser.errors == 2 && parser.parsed == 1)
    }
}
