import Testing
import TicklineBinance
import TicklineCore
@testable import TicklineExecution

/// Response bodies in the shape of Binance's documented examples (USD-M "New Order (TRADE)",
/// "New Algo Order (TRADE)" and "Position Information V2 (USER_DATA)" response examples under
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/), with our symbols, ids
/// and values; one row of a symbol outside the table added.
struct VenueResponseParserTests {
    static let symbols = try! SymbolTable([
        .init(name: "BTCUSDT", priceScale: DecimalScale(places: 1), quantityScale: DecimalScale(places: 3)),
    ])
    let wire = BinanceSymbols(Self.symbols)

    func parse<T>(_ json: String, _ body: (UnsafeRawBufferPointer) -> T?) -> T? {
        Array(json.utf8).withUnsafeBytes { body($0) }
    }

    @Test func newOrderResponse() throws {
        let json = """
        {"clientOrderId":"tl-1-2s","cumQty":"0","cumQuote":"0","executedQty":"0.010","orderId":22542179,"avgPrice":"43250.10",
         "origQty":"0.010","price":"0","reduceOnly":false,"side":"BUY","positionSide":"BOTH","status":"FILLED",
         "stopPrice":"9300","closePosition":false,"symbol":"BTCUSDT","timeInForce":"GTC","type":"MARKET",
         "origType":"MARKET","updateTime":1566818724722,"workingType":"CONTRACT_PRICE","priceProtect":false}
        """
        let ack = try #require(parse(json) { VenueResponseParser.order($0, symbols: wire) })
        #expect(ack.orderID == 22542179 && ack.status == .filled && ack.side == .buy && !ack.reduceOnly)
        #expect(ack.clientOrderID.description == "tl-1-2s")
        #expect(ack.executedQuantity == Quantity(raw: 10))
        #expect(ack.averagePrice == Price(raw: 432501), "43250.10 at one decimal: rounded to nearest")
        #expect(ack.updateTimeMs == 1566818724722)
    }

    @Test func algoOrderResponse() throws {
        let json = """
        {"algoId":2146760,"clientAlgoId":"tl-1-2t","algoType":"CONDITIONAL","orderType":"TAKE_PROFIT_MARKET",
         "symbol":"BTCUSDT","side":"SELL","positionSide":"BOTH","timeInForce":"GTC","quantity":"0.000",
         "algoStatus":"NEW","triggerPrice":"45000.0","price":"0.0","icebergQuantity":null,"selfTradePreventionMode":"EXPIRE_MAKER",
         "workingType":"MARK_PRICE","priceMatch":"NONE","closePosition":true,"priceProtect":false,"reduceOnly":false,
         "activatePrice":"","callbackRate":"","createTime":1750485492076,"updateTime":1750485492076,"triggerTime":0,"goodTillDate":0}
        """
        let a = try #require(parse(json) { VenueResponseParser.algoOrder($0, symbols: wire) })
        #expect(a.algoID == 2146760 && a.status == .new && a.type == .takeProfitMarket && a.side == .sell)
        #expect(a.triggerPrice == Price(raw: 450000) && a.workingType == .markPrice)
        #expect(a.clientAlgoID.description == "tl-1-2t")
    }

    @Test func positionRiskRows() throws {
        let json = """
        [{"entryPrice":"43000.5","breakEvenPrice":"0.0","marginType":"isolated","isAutoAddMargin":"false",
          "isolatedMargin":"43.00","leverage":"10","liquidationPrice":"39000.12","markPrice":"43100.25341",
          "maxNotionalValue":"250000","positionAmt":"-0.010","notional":"-431.0","isolatedWallet":"43",
          "symbol":"BTCUSDT","unRealizedProfit":"-0.99753412","positionSide":"BOTH","updateTime":1625474304765},
         {"symbol":"DOGEUSDT","positionAmt":"100","entryPrice":"0.1","markPrice":"0.1","unRealizedProfit":"0","leverage":"5"}]
        """
        let rows = try #require(parse(json) { VenueResponseParser.positions($0, symbols: wire) })
        #expect(rows.count == 1, "a symbol outside the table is skipped")
        let p = rows[0]
        #expect(p.amount == Quantity(raw: -10) && p.side == .sell && p.isolated && p.leverage == 10)
        #expect(p.entryPrice == Price(raw: 430005) && p.markPrice == Price(raw: 431003))
        #expect(p.unrealizedProfit == Price(raw: -10))
    }

    /// Binance's documented response example, verbatim but for the `//` comments removed and the
    /// comma missing after `crossUnPnl` restored (the page's example is not valid JSON as written):
    /// USD-M "Futures Account Balance V2 (USER_DATA)",
    /// https://developers.binance.com/docs/derivatives/usds-margined-futures/account/rest-api/Futures-Account-Balance-V2
    @Test func balanceRowsFromTheDocumentedExample() throws {
        let json = """
        [
            {
                "accountAlias": "SgsR",
                "asset": "USDT",
                "balance": "122607.35137903",
                "crossWalletBalance": "23.72469206",
                "crossUnPnl": "0.00000000",
                "availableBalance": "23.72469206",
                "maxWithdrawAmount": "23.72469206",
                "marginAvailable": true,
                "updateTime": 1617939110373
            }
        ]
        """
        let rows = try #require(parse(json) { VenueResponseParser.balances($0) })
        #expect(rows == [AssetBalance(asset: "USDT", walletBalance: Price(raw: 12_260_735_137_903),
                                      availableBalance: Price(raw: 2_372_469_206), crossUnrealizedPnL: .zero,
                                      updateTimeMs: 1617939110373)])
        #expect(rows.usdt() == rows.first)
        #expect(AssetBalance.amountScale == DecimalScale(places: 8))
    }

    /// Several assets (Multi-Assets mode lists each): `usdt()` picks ours; a negative PnL, a missing
    /// `crossUnPnl`/`updateTime` (zero) and more than 8 decimals (rounded to nearest) are read.
    @Test func balanceRowsPickUSDTAndToleratePartialRows() throws {
        let json = """
        [{"accountAlias":"SgsR","asset":"BNB","balance":"1.50000000","crossUnPnl":"0.00000000",
          "availableBalance":"1.50000000","updateTime":1617939110000},
         {"accountAlias":"SgsR","asset":"USDT","balance":"9990.12345678","crossUnPnl":"-12.500000005",
          "availableBalance":"9500.00000000","updateTime":1617939110373},
         {"asset":"USDC","balance":"0","availableBalance":"0"}]
        """
        let rows = try #require(parse(json) { VenueResponseParser.balances($0) })
        #expect(rows.map(\.asset) == ["BNB", "USDT", "USDC"])
        let usdt = try #require(rows.usdt())
        #expect(usdt.walletBalance == Price(raw: 999_012_345_678) && usdt.availableBalance == Price(raw: 950_000_000_000))
        #expect(usdt.crossUnrealizedPnL == Price(raw: -1_250_000_000), "-12.500000005: ties round to even")
        #expect(rows.asset("USDC") == AssetBalance(asset: "USDC", walletBalance: .zero, availableBalance: .zero,
                                                   crossUnrealizedPnL: .zero, updateTimeMs: 0))
        #expect(rows.asset("BTC") == nil && [AssetBalance]().usdt() == nil)
        #expect(parse("[]") { VenueResponseParser.balances($0) } == [])
    }

    /// Binance's documented response example, verbatim: USD-M "Account Trade List (USER_DATA)",
    /// https://developers.binance.com/docs/derivatives/usds-margined-futures/trade/rest-api/Account-Trade-List
    /// (read at two price places here, so the amounts round: 7819.01 stays exact).
    @Test func userTradesFromTheDocumentedExample() throws {
        let json = """
        [
          {
            "buyer": false,
            "commission": "-0.07819010",
            "commissionAsset": "USDT",
            "id": 698759,
            "maker": false,
            "orderId": 25851813,
            "price": "7819.01",
            "qty": "0.002",
            "quoteQty": "15.63802",
            "realizedPnl": "-0.91539999",
            "side": "SELL",
            "positionSide": "SHORT",
            "symbol": "BTCUSDT",
            "time": 1569514978020
          }
        ]
        """
        let table = try SymbolTable([
            .init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
        ])
        let rows = try #require(parse(json) { VenueResponseParser.userTrades($0, symbols: BinanceSymbols(table)) })
        #expect(rows == [UserTrade(symbol: SymbolID(0), tradeID: 698759, orderID: 25851813, side: .sell,
                                   price: Price(raw: 781901), quantity: Quantity(raw: 2),
                                   commission: Price(raw: 8), realizedPnL: Price(raw: -92), timeMs: 1569514978020,
                                   buyer: false, maker: false)],
                "commission as a magnitude (the page writes it negative), amounts rounded to 2 places")
    }

    /// The simulator's row shape (`SimRender.fill`), a symbol outside the table skipped, optional
    /// members defaulted, and malformed rows refused.
    @Test func userTradesInTheSimulatorsShape() throws {
        let json = """
        [{"buyer":true,"commission":"0.20000000","commissionAsset":"USDT","id":7,"maker":true,"orderId":3,
          "price":"50000.0","qty":"0.010","quoteQty":"500.0","realizedPnl":"0.00000000","side":"BUY",
          "positionSide":"BOTH","symbol":"BTCUSDT","time":1735689600000},
         {"id":8,"orderId":4,"price":"1","qty":"1","side":"SELL","symbol":"DOGEUSDT"},
         {"id":9,"orderId":5,"price":"50010.0","qty":"0.005","side":"SELL","symbol":"BTCUSDT"}]
        """
        let rows = try #require(parse(json) { VenueResponseParser.userTrades($0, symbols: wire) })
        #expect(rows.map(\.tradeID) == [7, 9])
        #expect(rows[0].buyer && rows[0].maker && rows[0].side == .buy && rows[0].price == Price(raw: 500000))
        #expect(rows[0].quantity == Quantity(raw: 10) && rows[0].commission == Price(raw: 2))
        #expect(rows[0].timeMs == 1735689600000)
        #expect(rows[1].commission == .zero && rows[1].realizedPnL == .zero && rows[1].timeMs == 0 && !rows[1].buyer)
        #expect(parse("[]") { VenueResponseParser.userTrades($0, symbols: wire) } == [])
        for bad in ["", "{}", "[1]", "[{\"id\":1,\"orderId\":1,\"price\":\"1\",\"qty\":\"1\",\"side\":\"BUY\"}]",
                    "[{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"price\":\"1\",\"qty\":\"1\",\"side\":\"BUY\"}]",
                    "[{\"symbol\":\"BTCUSDT\",\"id\":1,\"orderId\":1,\"price\":\"1\",\"qty\":\"1\",\"side\":\"HOLD\"}]",
                    "[{\"symbol\":\"BTCUSDT\",\"id\":1,\"orderId\":1,\"price\":\"x\",\"qty\":\"1\",\"side\":\"BUY\"}]",
                    "[{\"symbol\":\"BTCUSDT\",\"id\":1,\"orderId\":1,\"price\":\"1\",\"qty\":\"1\",\"side\":\"BUY\",\"commission\":\"x\"}]"] {
            #expect(parse(bad) { VenueResponseParser.userTrades($0, symbols: wire) } == nil, "\(bad)")
        }
    }

    @Test func malformedBalanceBodiesAreNil() {
        for bad in ["", "{}", "[", "[1]", "[{\"asset\":\"USDT\"}]",
                    "[{\"asset\":\"USDT\",\"balance\":\"10\"}]",
                    "[{\"balance\":\"10\",\"availableBalance\":\"10\"}]",
                    "[{\"asset\":\"USDT\",\"balance\":\"1e3\",\"availableBalance\":\"10\"}]",
                    "[{\"asset\":\"USDT\",\"balance\":\"10\",\"availableBalance\":\"10\",\"crossUnPnl\":\"x\"}]"] {
            #expect(parse(bad) { VenueResponseParser.balances($0) } == nil, "\(bad)")
        }
    }

    @Test func malformedBodiesAreNil() {
        for bad in ["", "{", "[{\"symbol\":\"BTCUSDT\"}", "{\"orderId\":1}", "[1,2]", "{\"symbol\":\"BTCUSDT\",\"orderId\":x1}"] {
            #expect(parse(bad) { VenueResponseParser.order($0, symbols: wire) } == nil)
            #expect(parse(bad) { VenueResponseParser.positions($0, symbols: wire) } == nil)
        }
        #expect(parse("{\"listenKey\":\"pqia91ma19a5s61cv6a81va65sdf19v8a65a1a5s61cv6a81va65sdf19v8a65a1\"}") {
            VenueResponseParser.listenKey($0) }?.count == 64)
        #expect(parse("{\"listenKey\":\"\"}") { VenueResponseParser.listenKey($0) } == nil)
    }

    @Test func errorCodesMapToReasons() {
        let table: [(Int, RejectionReason)] = [
            (-2019, .insufficientMargin), (-4164, .minNotional), (-1021, .timestamp), (-2022, .reduceOnlyRejected),
            (-4028, .invalidLeverage), (-4116, .duplicateClientOrderID), (-2013, .orderNotFound), (-2011, .orderNotFound),
            (-2021, .wouldTriggerImmediately), (-1125, .listenKeyNotFound), (-1022, .invalidSignature),
            (-2014, .invalidAPIKey), (-2015, .invalidAPIKey), (-1003, .rateLimited), (-1015, .rateLimited),
            (-4120, .wrongEndpoint), (-1102, .other), (0, .other),
        ]
        for (code, reason) in table { #expect(RejectionReason(code: code) == reason, "\(code)") }
    }
}
