import Testing
import TicklineCore
import TicklineEngine
import TicklineRing
import TicklineRisk

/// The risk stage driving the real `RiskEngine`: one paper account (id 0, 10 000 USDT), BTCUSDT
/// with 2 price and 3 quantity decimals.
final class RiskStageHarness {
    let clock = ManualClock(startNs: 1_000, epochMs: 1_700_000_000_000)
    let rings = PipelineRings(capacity: 16)
    let risk: RiskStage<ManualClock>
    let btc = SymbolID(0)

    init() throws {
        risk = try RiskStage(rings: rings, clock: clock, symbols: Pipeline.syntheticSymbols(["BTCUSDT"]))
    }

    func cycle() throws {
        clock.advance(byNs: 100)
        _ = try risk.doWork(nowNs: clock.nowNs())
    }

    func trade(_ cents: Int64, id: Int64 = 1) {
        rings.pricesToRisk.pushDroppingOldest(MarketEvent(ingressNs: clock.nowNs(), symbol: btc, body: .trade(TradeTick(
            eventTimeMs: 1_700_000_000_000, tradeTimeMs: 1_700_000_000_000, tradeID: id, price: Price(raw: cents),
            quantity: Quantity(raw: 1_000), aggressor: .buy, isAggregate: false))))
    }

    func signal(_ direction: SignalDirection, confidenceBp: UInt16, id: UInt64 = 1) -> Bool {
        rings.signalToRisk.tryPush(Signal(ingressNs: clock.nowNs(), signalID: id, eventTimeMs: 1_700_000_000_000,
                                          symbol: btc, interval: .m1, direction: direction, scoreBp: 5_000,
                                          confidenceBp: confidenceBp, entryPrice: .zero))
    }

    func popIntent() -> OrderIntent? {
        var intent = OrderIntent(ingressNs: 0, clientOrderID: 0, account: AccountID(0), symbol: btc, side: .buy,
                                 type: .market, quantity: .zero)
        return rings.riskToOrder.tryPop(into: &intent) ? intent : nil
    }

    func journalRecords() -> [JournalRecord] {
        var out: [JournalRecord] = []
        _ = rings.journal(.risk).drain(limit: 100) { out.append($0.pointee); return true }
        return out
    }

    func eventRecords() -> [EngineEvent] {
        var out: [EngineEvent] = []
        _ = rings.events(.risk).drain(limit: 100) { out.append($0.pointee); return true }
        return out
    }
}

@Suite struct RiskStageTests {
    /// A confident Long with a market price sizes into one market entry on the order ring,
    /// journaled as an order: 1 % of 10 000 USDT at a 2 % fallback stop from 43 250.00 →
    /// 100 ÷ 865 = 0.115 BTC (rounded down to the step).
    @Test func signalBecomesAnIntentOnTheOrderRing() throws {
        let h = try RiskStageHarness()
        h.trade(4_325_000)
        #expect(h.signal(.long, confidenceBp: 8_000))
        try h.cycle()
        let intent = try #require(h.popIntent())
        #expect(intent.side == .buy && intent.type == .market && !intent.reduceOnly)
        #expect(intent.account == AccountID(0) && intent.symbol == h.btc)
        #expect(intent.quantity == Quantity(raw: 115))
        #expect(h.popIntent() == nil)
        #expect(h.risk.signalsHandled == 1 && h.risk.intentsSent == 1 && h.risk.denied == 0)
        let journal = h.journalRecords()
        #expect(journal.count == 1)
        if case .order(let o)? = journal.first?.body { #expect(o.clientOrderID == intent.clientOrderID) } else {
            Issue.record("expected an order record")
        }
    }

    /// After the entry fills, a trade through the stop-loss (2 % below 43 250.00 = 42 385.00)
    /// sends a reduce-only market close of the filled quantity.
    @Test func priceCrossingTheStopLossSendsAReduceOnlyClose() throws {
        let h = try RiskStageHarness()
        h.trade(4_325_000)
        #expect(h.signal(.long, confidenceBp: 8_000))
        try h.cycle()
        let entry = try #require(h.popIntent())
        #expect(h.rings.executionsToRisk.tryPush(ExecutionReport(
            ingressNs: h.clock.nowNs(), eventTimeMs: 1_700_000_000_000, clientOrderID: entry.clientOrderID,
            account: entry.account, symbol: entry.symbol, side: entry.side, kind: .filled, tradeID: 1,
            lastFillQuantity: entry.quantity, lastFillPrice: Price(raw: 4_325_000),
            cumulativeQuantity: entry.quantity, averagePrice: Price(raw: 4_325_000))))
        try h.cycle()
        #expect(h.risk.fills == 1)
        #expect(h.popIntent() == nil, "no exchange-side protective orders on the paper account")
        h.trade(4_300_000, id: 2)  // above the stop: nothing
        try h.cycle()
        #expect(h.popIntent() == nil)
        h.trade(4_230_000, id: 3)
        try h.cycle()
        let close = try #require(h.popIntent())
        #expect(close.reduceOnly && close.side == .sell && close.type == .market)
        #expect(close.closeReason == .stopLoss && close.quantity == entry.quantity)
        #expect(h.risk.intentsSent == 2)
    }

    /// A signal below the account's minimum confidence is denied: journal and event rings, no order.
    @Test func denialReachesTheJournalRing() throws {
        let h = try RiskStageHarness()
        h.trade(4_325_000)
        #expect(h.signal(.short, confidenceBp: 5_000))
        try h.cycle()
        #expect(h.popIntent() == nil)
        #expect(h.risk.denied == 1 && h.risk.intentsSent == 0)
        let journal = h.journalRecords()
        #expect(journal.count == 1)
        if case .denied(let d)? = journal.first?.body {
            #expect(d.reason == .lowConfidence && d.signalID == 1 && d.side == .sell)
        } else {
            Issue.record("expected a denial record")
        }
        let events = h.eventRecords()
        #expect(events.count == 1)
        if case .orderDenied(let d)? = events.first?.body { #expect(d.reason == .lowConfidence) } else {
            Issue.record("expected an orderDenied event")
        }
    }

    /// A full order ring leaves the signal on its ring (back pressure) until there is room.
    @Test func fullOrderRingLeavesSignalsWaiting() throws {
        let h = try RiskStageHarness()
        let filler = OrderIntent(ingressNs: 0, clientOrderID: 999, account: AccountID(0), symbol: h.btc, side: .buy,
                                 type: .market, quantity: Quantity(raw: 1))
        for _ in 0..<h.rings.riskToOrder.capacity { #expect(h.rings.riskToOrder.tryPush(filler)) }
        h.trade(4_325_000)
        #expect(h.signal(.long, confidenceBp: 8_000))
        try h.cycle()
        #expect(h.risk.signalsHandled == 0 && h.rings.signalToRisk.count == 1)
        while h.popIntent() != nil {}
        try h.cycle()
        #expect(h.risk.signalsHandled == 1 && h.risk.intentsSent == 1)
    }
}
