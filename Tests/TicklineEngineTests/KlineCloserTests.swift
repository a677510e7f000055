import Testing
import TicklineCore
import TicklineEngine

/// The one-close rule, with times written out: the 1m candle opening at 60 000 ms ends at
/// 119 999 ms.
@Suite struct KlineCloserTests {
    func p(_ raw: Int64) -> Price { Price(raw: raw) }
    func q(_ raw: Int64) -> Quantity { Quantity(raw: raw) }

    func exchangeBar(open: Int64 = 60_000, o: Int64, h: Int64, l: Int64, c: Int64, v: Int64, event: Int64) -> Kline {
        Kline(eventTimeMs: event, openTimeMs: open, interval: .m1, open: p(o), high: p(h), low: p(l), close: p(c),
              volume: q(v), quoteVolume: .zero, takerBuyVolume: q(0), tradeCount: 1)
    }

    @Test func localCloseFirstThenExchangeConfirms() {
        var c = KlineCloser(interval: .m1)
        #expect(c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 60_500, eventTimeMs: 60_501) == .none)
        #expect(c.onTrade(price: p(105), quantity: q(2), buyerIsTaker: false, tradeTimeMs: 90_000, eventTimeMs: 90_001) == .none)
        #expect(c.onTrade(price: p(98), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 119_000, eventTimeMs: 119_001) == .none)
        // The clock passes the boundary: the candle closes locally with O 100 H 105 L 98 C 98 V 4.
        guard case .closed(let bar, .local) = c.onClock(nowMs: 120_000) else { Issue.record("no local close"); return }
        #expect(bar.open == p(100) && bar.high == p(105) && bar.low == p(98) && bar.close == p(98))
        #expect(bar.volume == q(4) && bar.takerBuyVolume == q(2) && bar.tradeCount == 3)
        #expect(c.onClock(nowMs: 121_000) == .none)  // never twice
        // The exchange's x:true arrives 1.5 s late with the same values: confirmed, no output.
        let final = exchangeBar(o: 100, h: 105, l: 98, c: 98, v: 4, event: 121_500)
        #expect(c.onExchange(final, isClosed: true) == (.none, .none))
        #expect(c.localCloses == 1 && c.confirmations == 1 && c.corrections == 0)
    }

    @Test func exchangeDisagreesAfterLocalClose() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        // A trade of the next minute closes the first candle locally.
        guard case .closed(_, .local) = c.onTrade(price: p(101), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 120_100,
                                                   eventTimeMs: 120_100) else { Issue.record("no close"); return }
        // The exchange saw a trade we missed (H 103, V 2): one correction, no second close.
        let final = exchangeBar(o: 100, h: 103, l: 100, c: 100, v: 2, event: 121_000)
        #expect(c.onExchange(final, isClosed: true) == (.corrected(final), .none))
        #expect(c.corrections == 1 && c.localCloses == 1 && c.exchangeCloses == 0)
        #expect(c.current?.openTimeMs == 120_000)  // the new candle continues
    }

    @Test func exchangeClosesFirst() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        let final = exchangeBar(o: 100, h: 100, l: 99, c: 99, v: 3, event: 119_999)
        #expect(c.onExchange(final, isClosed: true) == (.closed(final, .exchange), .none))
        #expect(c.onClock(nowMs: 125_000) == .none)  // nothing left to close
        // A late trade of the closed minute is ignored and counted.
        #expect(c.onTrade(price: p(1), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 119_500, eventTimeMs: 125_001) == .none)
        #expect(c.lateEvents == 1 && c.exchangeCloses == 1 && c.localCloses == 0)
    }

    @Test func snapshotThenTradesAreNotCountedTwice() {
        var c = KlineCloser(interval: .m1)
        // The exchange's provisional snapshot at 90 000 includes the trades up to then: V 5.
        _ = c.onExchange(exchangeBar(o: 100, h: 110, l: 95, c: 105, v: 5, event: 90_000), isClosed: false)
        // A trade at 89 900 is already in the snapshot; one at 95 000 is new.
        _ = c.onTrade(price: p(120), quantity: q(9), buyerIsTaker: true, tradeTimeMs: 89_900, eventTimeMs: 90_050)
        _ = c.onTrade(price: p(111), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 95_000, eventTimeMs: 95_001)
        let bar = c.current!
        #expect(bar.high == p(111) && bar.close == p(111) && bar.volume == q(6))
    }

    @Test func exchangeAlreadyOnTheNextCandleClosesOursFirst() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        let next = exchangeBar(open: 120_000, o: 101, h: 101, l: 101, c: 101, v: 1, event: 180_500)
        let (first, second) = c.onExchange(next, isClosed: true)
        guard case .closed(let ours, .local) = first else { Issue.record("ours did not close first"); return }
        #expect(ours.openTimeMs == 60_000 && second == .closed(next, .exchange))
    }

    // MARK: REST history: warm-up and backfill

    func bars(_ opens: [Int64], close: Int64 = 100) -> [Kline] {
        opens.map { exchangeBar(open: $0, o: close, h: close, l: close, c: close, v: 1, event: $0 + 59_999) }
    }

    func collect(_ c: inout KlineCloser, _ history: [Kline], before: Int64) -> [KlineCloser.Output] {
        var out: [KlineCloser.Output] = []
        c.completeBackfill(history, completeBeforeMs: before) { out.append($0) }
        return out
    }

    /// Start-up: history up to the candle in progress goes out in order; the in-progress row of
    /// the REST answer (ends after the request was sent) does not.
    @Test func warmUpSendsClosedHistoryInOrder() {
        var c = KlineCloser(interval: .m1)
        c.beginBackfill()
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 300_500, eventTimeMs: 300_500)
        // The request went out at 310 000: rows 0…240 000 are closed, 300 000 is in progress.
        let out = collect(&c, bars([0, 60_000, 120_000, 180_000, 240_000, 300_000]), before: 310_000)
        #expect(out == bars([0, 60_000, 120_000, 180_000, 240_000]).map { .closed($0, .exchange) })
        #expect(c.backfilled == 5 && !c.awaitingBackfill)
        // The candle in progress then closes normally, once.
        guard case .closed(let bar, .local) = c.onClock(nowMs: 360_000) else { Issue.record("no close"); return }
        #expect(bar.openTimeMs == 300_000)
    }

    /// An outage across two boundaries: the clock closed the 60 000 candle from partial data
    /// while the stream was down (held, not sent); after the reconnect the stream is on 240 000.
    /// History replaces the partial candle with the exchange's values and fills 120 000 and
    /// 180 000: downstream sees 60 000, 120 000, 180 000 in order, each once.
    @Test func outageBackfillFillsTheGapInOrder() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        c.beginBackfill()  // the stream dropped at 70 000
        #expect(c.onClock(nowMs: 120_001) == .none, "held while history is awaited")
        _ = c.onExchange(exchangeBar(open: 240_000, o: 103, h: 103, l: 103, c: 103, v: 1, event: 250_000), isClosed: false)
        let full = exchangeBar(open: 60_000, o: 100, h: 104, l: 99, c: 101, v: 7, event: 119_999)
        let history = [full] + bars([120_000, 180_000, 240_000])
        let out = collect(&c, history, before: 250_500)
        #expect(out == [.closed(full, .exchange)] + bars([120_000, 180_000]).map { .closed($0, .exchange) })
        #expect(c.corrections == 1 && c.backfilled == 2)
        // The exchange's x:true for 240 000 then closes the next candle; no duplicates, no gap.
        let final = exchangeBar(open: 240_000, o: 103, h: 103, l: 103, c: 103, v: 1, event: 300_100)
        #expect(c.onExchange(final, isClosed: true) == (.closed(final, .exchange), .none))
    }

    /// The candle sent just before the stream dropped was built from partial data: the history
    /// corrects it (a correction, not a second close).
    @Test func backfillCorrectsTheLastCandleSent() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        guard case .closed = c.onClock(nowMs: 120_000) else { Issue.record("no close"); return }
        c.beginBackfill()
        let full = exchangeBar(open: 60_000, o: 100, h: 102, l: 100, c: 102, v: 3, event: 119_999)
        let out = collect(&c, [full] + bars([120_000]), before: 200_000)
        #expect(out == [.corrected(full), .closed(bars([120_000])[0], .exchange)])
        // Late trades of a candle already sent stay ignored.
        #expect(c.onTrade(price: p(1), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 150_000, eventTimeMs: 150_000) == .none)
        #expect(c.lateEvents == 1)
    }

    /// Giving up on history releases what was held, as it was.
    @Test func abandonedBackfillReleasesHeldCandles() {
        var c = KlineCloser(interval: .m1)
        _ = c.onTrade(price: p(100), quantity: q(1), buyerIsTaker: true, tradeTimeMs: 61_000, eventTimeMs: 61_000)
        c.beginBackfill()
        #expect(c.onClock(nowMs: 120_001) == .none)
        let out = collect(&c, [], before: 130_000)
        guard out.count == 1, case .closed(let bar, .local) = out[0] else { Issue.record("\(out)"); return }
        #expect(bar.openTimeMs == 60_000)
    }
}
