import Testing
import TicklineBinance
import TicklineCore

/// Hand-written messages with the expected values written out; the capture-wide parity check
/// against an independent parser lives in Tests/parity.
@Suite struct BinanceStreamParserTests {
    let table: SymbolTable = {
        var t = SymbolTable()
        _ = try! t.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try! t.intern(.init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        return t
    }()

    func parse(_ text: String) -> Result<BinanceStreamMessage, BinanceParseError> {
        var parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        var bytes = Array(text.utf8)
        return bytes.withUnsafeMutableBytes { parser.parse(UnsafeRawBufferPointer($0), ingressNs: 77) }
    }

    func market(_ text: String) -> MarketEvent? {
        if case .success(.market(let e)) = parse(text) { return e }
        return nil
    }

    @Test func tradeInEnvelopeWithFieldsInAnyOrder() throws {
        let e = try #require(market(#"{"stream":"ethusdt@trade","data":{"m":true,"q":"0.250","p":"2681.63","t":42,"s":"ETHUSDT","T":1000,"E":1001,"e":"trade","X":"MARKET"}}"#))
        #expect(e.symbol == SymbolID(1) && e.ingressNs == 77)
        guard case .trade(let t) = e.body else { Issue.record("not a trade"); return }
        #expect(t.price == Price(raw: 268_163) && t.quantity == Quantity(raw: 250))
        #expect(t.tradeID == 42 && t.tradeTimeMs == 1000 && t.eventTimeMs == 1001)
        #expect(t.aggressor == .sell && !t.isAggregate)  // buyer was maker → the seller hit the bid
    }

    @Test func rawAggTradeAndBookTicker() throws {
        let a = try #require(market(#"{"e":"aggTrade","E":5,"a":9,"s":"BTCUSDT","p":"61800.30","q":"0.006","f":1,"l":2,"T":4,"m":false}"#))
        guard case .trade(let t) = a.body else { Issue.record("not a trade"); return }
        #expect(t.isAggregate && t.tradeID == 9 && t.aggressor == .buy && t.price == Price(raw: 6_180_030))
        let b = try #require(market(#"{"e":"bookTicker","u":7,"s":"BTCUSDT","b":"61800.20","B":"2.507","a":"61800.30","A":"2.510","T":3,"E":4}"#))
        guard case .bookTicker(let k) = b.body else { Issue.record("not a book ticker"); return }
        #expect(k.bidPrice == Price(raw: 6_180_020) && k.bidQuantity == Quantity(raw: 2507))
        #expect(k.askPrice == Price(raw: 6_180_030) && k.askQuantity == Quantity(raw: 2510) && k.updateID == 7)
    }

    @Test func klineClosedAndMarkPrice() throws {
        let k = try #require(market(#"{"e":"kline","E":1638747720000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"5m","f":100,"L":200,"o":"100.10","c":"100.20","h":"100.30","l":"100.00","v":"12.345","n":7,"x":true,"q":"1234.5678","V":"1.000","Q":"100.0","B":"0"}}"#))
        guard case .klineClosed(let bar) = k.body else { Issue.record("not a closed kline"); return }
        #expect(bar.interval == .m5 && bar.openTimeMs == 1_638_747_660_000)
        #expect(bar.open == Price(raw: 10_010) && bar.high == Price(raw: 10_030) && bar.low == Price(raw: 10_000))
        #expect(bar.close == Price(raw: 10_020) && bar.volume == Quantity(raw: 12_345) && bar.tradeCount == 7)
        // 1234.5678 at 2 decimals, half-even → 1234.57.
        #expect(bar.quoteVolume == Price(raw: 123_457))
        let m = try #require(market(#"{"e":"markPriceUpdate","E":1,"s":"BTCUSDT","p":"11794.15000000","i":"11784.62659091","P":"0","r":"0.00038167","T":1562306400000}"#))
        guard case .markPrice(let mp) = m.body else { Issue.record("not a mark price"); return }
        #expect(mp.markPrice == Price(raw: 1_179_415) && mp.indexPrice == Price(raw: 1_178_463))
        #expect(mp.fundingRateE8 == 38_167 && mp.nextFundingTimeMs == 1_562_306_400_000)
    }

    @Test func repliesSnapshotsAndIgnoredEvents() {
        guard case .success(.reply(let id)) = parse(#"{"result":null,"id":12}"#) else { Issue.record("no reply"); return }
        #expect(id == 12)
        guard case .success(.depthSnapshot(let u, _, _)) = parse(#"{"lastUpdateId":99,"E":1,"T":2,"bids":[["1.00","1"]],"asks":[]}"#) else {
            Issue.record("no snapshot"); return
        }
        #expect(u == 99)
        guard case .success(.ignored) = parse(#"{"e":"24hrTicker","s":"BTCUSDT"}"#) else { Issue.record("not ignored"); return }
    }

    @Test(arguments: [
        (#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.00""#, BinanceParseError.malformedJSON),
        (#"{"e":"trade","E":1,"T":1,"s":"XRPUSDT","t":1,"p":"1.00","q":"1","m":true}"#, .unknownSymbol),
        (#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":1,"p":"1.001","q":"1","m":true}"#, .badDecimal),
        (#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","t":99999999999999999999,"p":"1.00","q":"1","m":true}"#, .badNumber),
        (#"{"e":"trade","E":1,"T":1,"s":"BTCUSDT","p":"1.00","q":"1","m":true}"#, .missingField),
        (#"{"e":"weather","s":"BTCUSDT"}"#, .unknownEvent),
        ("", .malformedJSON),
    ])
    func badInputIsAnErrorValue(_ text: String, _ expected: BinanceParseError) {
        var parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        var bytes = Array(text.utf8) + [0]  // never an empty buffer pointer
        let result = bytes.withUnsafeMutableBytes {
            parser.parse(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer($0)[0..<text.utf8.count]), ingressNs: 0)
        }
        guard case .failure(let e) = result else { Issue.record("parsed: \(text)"); return }
        #expect(e == expected)
        #expect(parser.errorCount(expected) == 1 && parser.totalErrors == 1)
    }
}
