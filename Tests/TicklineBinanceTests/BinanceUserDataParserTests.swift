import Foundation
import Testing
import TicklineBinance
import TicklineCore

/// The user-data parser on the documentation examples (Tests/clients/fixtures, see SOURCE.md),
/// expected values read off the example text by hand.
@Suite struct BinanceUserDataParserTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("clients/fixtures")

    func parse(_ name: String) throws -> BinanceUserEvent {
        var t = SymbolTable()
        _ = try t.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try t.intern(.init(name: "BNBUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 2)))
        var parser = BinanceUserDataParser(symbols: BinanceSymbols(t))
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent(name))
        let result = data.withUnsafeBytes { parser.parse($0, account: AccountID(3), ingressNs: 9) }
        return try result.get()
    }

    /// order_update_trade.json: {"s":"BTCUSDT","c":"TEST","S":"BUY","x":"TRADE","X":"PARTIALLY_FILLED",
    /// "i":8886774,"l":"0.001","z":"0.001","L":"7100.50","ap":"7100.50","n":"0.01000000",
    /// "T":1568879465651,"t":12345678,"rp":"12.34",…}
    @Test func orderTradeUpdate() throws {
        guard case .execution(let r, let status) = try parse("order_update_trade.json") else {
            Issue.record("not an execution"); return
        }
        #expect(status == .partiallyFilled && r.kind == .partiallyFilled)
        #expect(r.account == AccountID(3) && r.symbol == SymbolID(0) && r.side == .buy && r.ingressNs == 9)
        #expect(r.venueOrderID == 8_886_774 && r.tradeID == 12_345_678 && r.eventTimeMs == 1_568_879_465_651)
        #expect(r.lastFillQuantity == Quantity(raw: 1) && r.cumulativeQuantity == Quantity(raw: 1))
        #expect(r.lastFillPrice == Price(raw: 710_050) && r.averagePrice == Price(raw: 710_050))
        #expect(r.commission == Price(raw: 1) && r.realizedPnL == Price(raw: 1234))
        #expect(r.clientOrderID == 0)  // "TEST" is not one of ours
    }

    @Test func newOrderAccountTradeLiteAndAlgo() throws {
        guard case .execution(let r, let status) = try parse("order_update_new.json") else { Issue.record("no execution"); return }
        #expect(status == .new && r.kind == .accepted)
        guard case .accountUpdate(let t, let reason) = try parse("account_update.json") else { Issue.record("no account"); return }
        #expect(reason == .order && t == 1_564_745_798_939)
        guard case .tradeLite(let lite) = try parse("trade_lite.json") else { Issue.record("no trade lite"); return }
        #expect(lite.lastFillPrice == Price(raw: 710_050) && lite.lastFillQuantity == Quantity(raw: 1) && lite.venueOrderID == 8_886_774)
        guard case .algoUpdate(_, let id, let s) = try parse("algo_update_new.json") else { Issue.record("no algo"); return }
        #expect(id == 2_148_719 && s == .new)
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
