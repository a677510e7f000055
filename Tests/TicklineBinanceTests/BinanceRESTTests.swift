import Testing
import TicklineBinance
import TicklineCore

/// REST bodies in Binance's documented shapes (USD-M "Exchange Information", "Kline/Candlestick
/// Data", "Mark Price" and error examples, trimmed), values written out by hand.
@Suite struct BinanceRESTTests {
    func with<T>(_ text: String, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBytes { try body($0) }
    }

    @Test func exchangeInfoGivesScalesFromIncrements() throws {
        let json = #"""
        {"timezone":"UTC","serverTime":1565246363776,"rateLimits":[{"interval":"MINUTE","intervalNum":1,"limit":2400,"rateLimitType":"REQUEST_WEIGHT"}],
         "symbols":[{"symbol":"BLZUSDT","pair":"BLZUSDT","status":"TRADING","pricePrecision":5,"quantityPrecision":0,
           "filters":[{"filterType":"PRICE_FILTER","maxPrice":"300","minPrice":"0.0001","tickSize":"0.0001"},
                      {"filterType":"LOT_SIZE","maxQty":"10000000","minQty":"1","stepSize":"1"},
                      {"filterType":"MARKET_LOT_SIZE","maxQty":"590119","minQty":"1","stepSize":"1"},
                      {"filterType":"MIN_NOTIONAL","notional":"5.0"}]},
          {"symbol":"BTCUSDT","status":"TRADING","filters":[{"filterType":"PRICE_FILTER","minPrice":"556.80","maxPrice":"4529764","tickSize":"0.10"},
                      {"filterType":"LOT_SIZE","minQty":"0.001","maxQty":"1000","stepSize":"0.001"},{"filterType":"MIN_NOTIONAL","notional":"100"}]}]}
        """#
        let symbols = try with(json) { try BinanceREST.exchangeInfo($0) }
        #expect(symbols.map(\.symbol) == ["BLZUSDT", "BTCUSDT"])
        #expect(symbols[0].priceScale == DecimalScale(places: 4) && symbols[0].quantityScale == DecimalScale(places: 0))
        #expect(symbols[0].minNotional == "5.0" && symbols[0].minQuantity == "1")
        #expect(symbols[1].priceScale == DecimalScale(places: 2) && symbols[1].quantityScale == DecimalScale(places: 3))
        #expect(symbols[1].tickSize == "0.10" && symbols[1].minNotional == "100")
    }

    @Test func klinesRows() throws {
        let json = #"[[1499040000000,"0.01634790","0.80000000","0.01575800","0.01577100","148976.11427815",1499644799999,"2434.19055334",308,"1756.87402397","28.46694368","17928899.62484339"]]"#
        let rows = try with(json) {
            try BinanceREST.klines($0, interval: .m1, priceScale: DecimalScale(places: 8), quantityScale: DecimalScale(places: 8))
        }
        #expect(rows.count == 1)
        let k = rows[0]
        #expect(k.openTimeMs == 1_499_040_000_000 && k.eventTimeMs == 1_499_644_799_999)
        #expect(k.open == Price(raw: 1_634_790) && k.high == Price(raw: 80_000_000) && k.low == Price(raw: 1_575_800))
        #expect(k.close == Price(raw: 1_577_100) && k.volume == Quantity(raw: 14_897_611_427_815) && k.tradeCount == 308)
        #expect(k.takerBuyVolume == Quantity(raw: 175_687_402_397))
    }

    @Test func premiumIndexAndTimeAndErrors() throws {
        let json = #"{"symbol":"BTCUSDT","markPrice":"11793.63104562","indexPrice":"11781.80495970","estimatedSettlePrice":"11781.16138815","lastFundingRate":"0.00038246","interestRate":"0.00010000","nextFundingTime":1597392000000,"time":1597370495002}"#
        let m = try with(json) { try BinanceREST.premiumIndex($0, priceScale: DecimalScale(places: 2)) }
        #expect(m.markPrice == Price(raw: 1_179_363) && m.indexPrice == Price(raw: 1_178_180))
        #expect(m.fundingRateE8 == 38_246 && m.nextFundingTimeMs == 1_597_392_000_000 && m.eventTimeMs == 1_597_370_495_002)
        #expect(try with(#"{"serverTime":1499827319559}"#) { try BinanceREST.serverTime($0) } == 1_499_827_319_559)
        #expect(with(#"{"code":-1121,"msg":"Invalid symbol."}"#) { BinanceREST.apiError($0) }
                == BinanceREST.APIError(code: -1121, message: "Invalid symbol."))
        #expect(with(#"{"serverTime":1}"#) { BinanceREST.apiError($0) } == nil)
    }

    @Test func malformedBodiesAreErrors() {
        #expect(throws: BinanceREST.ParseError.self) { try with(#"{"symbols":[{"symbol":"X"#) { try BinanceREST.exchangeInfo($0) } }
        #expect(throws: BinanceREST.ParseError.self) {
            try with(#"[[1,"a","b"]]"#) { try BinanceREST.klines($0, interval: .m1, priceScale: .init(places: 2), quantityScale: .init(places: 3)) }
        }
        #expect(throws: BinanceREST.ParseError.self) { try with(#"{"time":1}"#) { try BinanceREST.serverTime($0) } }
    }
}
