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

    init(adopting adopted: [AdoptedPosition] = []) throws {
        let symbols = Pipeline.syntheticSymbols(["BTCUSDT"])
        var configuration = RiskStageConfiguration.paper(symbols: symbols)
        configuration.adoptedPositions = adopted
        risk = try RiskStage(rings: rings, clock: clock, symbols: symbols, configuration: configuration)
    }

    func fill(_ intent: OrderIntent, at cents: Int64) {
        precondition(rings.executionsToRisk.tryPush(ExecutionReport(
            ingressNs: clock.nowNs(), eventTimeMs: clock.wallTimeMs(), clientOrderID: intent.clientOrderID,
            account: intent.account, symbol: intent.symbol, side: intent.side, kind: .filled, tradeID: 1,
            lastFillQuantity: intent.quantity, lastFillPrice: Price(raw: cents), cumulativeQuantity: intent.quantity,
            averagePrice: Price(raw: cents))))
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
        // The first duty cycle publishes each account's starting portfolio, then the denial.
        let events = h.eventRecords()
        #expect(events.count == 2)
        if case .accountUpdated(let a)? = events.first?.body { #expect(a.account == AccountID(0)) } else {
            Issue.record("expected the account's starting portfolio")
        }
        if case .orderDenied(let d)? = events.last?.body { #expect(d.reason == .lowConfidence) } else {
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

    /// A position's first fill and its close reach the journal as trade records; every 15 minutes
    /// (the default interval, on the stage's clock) an account snapshot and its positions follow.
    @Test func tradesAndSnapshotsReachTheJournalRing() throws {
        let h = try RiskStageHarness()
        h.trade(4_325_000)
        #expect(h.signal(.long, confidenceBp: 8_000))
        try h.cycle()
        let entry = try #require(h.popIntent())
        _ = h.journalRecords()
        h.fill(entry, at: 4_325_000)
        let fillMs = h.clock.wallTimeMs()
        try h.cycle()
        var journal = h.journalRecords()
        #expect(journal.count == 1)
        guard case .tradeOpened(let opened)? = journal.first?.body else {
            Issue.record("expected a tradeOpened record")
            return
        }
        #expect(opened.entryClientOrderID == entry.clientOrderID && opened.quantity == entry.quantity)
        #expect(opened.entryPrice == Price(raw: 4_325_000) && opened.entryTimeMs == fillMs && !opened.adopted)
        #expect(h.risk.tradesOpened == 1)

        h.clock.advance(byNs: RiskEngine.defaultSnapshotIntervalNs)
        try h.cycle()
        journal = h.journalRecords()
        #expect(journal.count == 2)
        guard case .accountSnapshot(let snapshot)? = journal.first?.body,
              case .portfolioSnapshot(let position)? = journal.last?.body
        else {
            Issue.record("expected an account snapshot and a position row, got \(journal.map(\.body))")
            return
        }
        #expect(snapshot.account == AccountID(0) && snapshot.positionCount == 1)
        #expect(snapshot.timeMs == h.clock.wallTimeMs())
        #expect(snapshot.cashBalance == RiskStageConfiguration.defaultWalletBalance)
        #expect(position.eventTimeMs == snapshot.timeMs && position.quantity == entry.quantity)
        #expect(h.risk.accountSnapshots == 1 && h.risk.snapshotPositions == 1)
        try h.cycle()
        #expect(h.journalRecords().isEmpty)  // the next one is 15 minutes away

        h.trade(4_230_000, id: 2)  // through the 2 % stop
        try h.cycle()
        let close = try #require(h.popIntent())
        _ = h.journalRecords()
        h.fill(close, at: 4_230_000)
        try h.cycle()
        journal = h.journalRecords()
        guard case .tradeClosed(let closed)? = journal.first?.body else {
            Issue.record("expected a tradeClosed record")
            return
        }
        #expect(closed.positionID == opened.positionID && closed.reason == .stopLoss)
        #expect(closed.exitPrice == Price(raw: 4_230_000))
        #expect(closed.realizedPnL == Price(raw: -10_925))  // 0.115 × (42 300.00 − 43 250.00)
        #expect(h.risk.tradesClosed == 1 && h.risk.sideChannelOverflows == 0)
    }

    /// Positions adopted at start-up are journaled as trades opened (adopted) at the first cycle.
    @Test func adoptedPositionsAreJournaledAtTheFirstCycle() throws {
        let h = try RiskStageHarness(adopting: [AdoptedPosition(
            account: AccountID(0), symbol: SymbolID(0), side: .sell, quantity: Quantity(raw: 200),
            entryPrice: Price(raw: 4_300_000))])
        #expect(h.risk.adopted == 1)
        try h.cycle()
        let journal = h.journalRecords()
        guard case .tradeOpened(let opened)? = journal.first?.body else {
            Issue.record("expected a tradeOpened record")
            return
        }
        #expect(opened.adopted && opened.side == .sell && opened.quantity == Quantity(raw: 200))
        #expect(opened.entryPrice == Price(raw: 4_300_000) && opened.entryTimeMs == 1_700_000_000_000)
        #expect(journal.count == 1)
    }
}
