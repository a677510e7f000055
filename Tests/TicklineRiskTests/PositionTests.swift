import Testing
import TicklineCore
@testable import TicklineRisk

@Suite struct PositionTests {
    /// partial-fills (scripts/risk_reference.py): 0.040 @ 40 000.00 then 0.060 @ 40 100.00 → cost
    /// 4 006.00, average 40 060.00; at 40 200.00 unrealized +14.00; closing 0.050 at 40 300.00
    /// realizes 2 015.00 − 2 003.00 = +12.00; the rest is +12.00 at 40 300.00.
    @Test func partialFillsAverageTheEntryAndCloseProRata() throws {
        var e = makeEngine(protective: true)
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00"), nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        #expect(entry.quantity == qty("0.100", Sym.btc))  // 100 ÷ 1 000.00

        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", commission: "0.64",
                               kind: .partiallyFilled), nowNs: 0)
        // The exchange-side safety net goes out with the first fill: closePosition (quantity 0).
        #expect(e.outbox.intents.count == 2)
        let stop = try #require(e.outbox.intents[safe: 0]), target = try #require(e.outbox.intents[safe: 1])
        #expect(stop.type == .stopMarket && stop.stopPrice == px("39000.00", Sym.btc) && stop.closeReason == .stopLoss)
        #expect(target.type == .takeProfitMarket && target.stopPrice == px("42000.00", Sym.btc))
        #expect(stop.reduceOnly && target.reduceOnly && stop.quantity == .zero && stop.side == .sell)
        var p = try #require(e.position(acct0, Sym.btc))
        #expect(p.phase == .open && p.quantity == qty("0.040", Sym.btc))
        #expect(p.averageEntryPrice == px("40000.00", Sym.btc))
        // 0.060 unfilled at 40 000.00: 240.00 margin + 0.96 fee still reserved.
        #expect(e.snapshot(acct0).availableMargin == money("9598.40"))  // 9 999.36 − 160.00 (0.040 held) − 240.96

        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", commission: "0.64",
                               kind: .partiallyFilled), nowNs: 0)
        #expect(e.counters.duplicateFills == 1)
        #expect(e.position(acct0, Sym.btc)?.quantity == qty("0.040", Sym.btc))

        e.handleExecution(fill(entry, "0.060", at: "40100.00", cumulative: "0.100", commission: "0.96"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)  // the safety net is sent once
        p = try #require(e.position(acct0, Sym.btc))
        #expect(p.quantity == qty("0.100", Sym.btc))
        #expect(p.averageEntryPrice == px("40060.00", Sym.btc))
        #expect(p.entryOrderID == 0)
        #expect(e.snapshot(acct0).walletBalance == money("9998.40"))  // 10 000 − 0.64 − 0.96

        e.handleMarketEvent(trade(Sym.btc, "40200.00"), nowNs: 0)
        #expect(e.position(acct0, Sym.btc)?.unrealizedPnL == money("14"))

        e.handleCommand(Command(kind: .closePosition, issuedNs: 0, requestID: 9, account: acct0, symbol: Sym.btc), nowNs: 0)
        let close = try #require(e.outbox.intents[safe: 0])
        #expect(close.reduceOnly && close.side == .sell && close.quantity == qty("0.100", Sym.btc))
        #expect(close.closeReason == .manual)
        e.handleExecution(fill(close, "0.050", at: "40300.00", cumulative: "0.050", kind: .partiallyFilled), nowNs: 0)
        #expect(e.snapshot(acct0).walletBalance == money("10010.40"))
        p = try #require(e.position(acct0, Sym.btc))
        #expect(p.quantity == qty("0.050", Sym.btc) && p.phase == .closing)
        #expect(p.averageEntryPrice == px("40060.00", Sym.btc))
        e.handleMarketEvent(trade(Sym.btc, "40300.00"), nowNs: 0)
        #expect(e.position(acct0, Sym.btc)?.unrealizedPnL == money("12"))
        e.handleExecution(fill(close, "0.050", at: "40300.00", cumulative: "0.100"), nowNs: 0)
        #expect(e.snapshot(acct0).walletBalance == money("10022.40"))
        #expect(e.position(acct0, Sym.btc) == nil)
        #expect(e.snapshot(acct0).openPositions == 0)
        // The safety net's cancellation after the close is ignored; a late fill of it is counted, not booked.
        e.handleExecution(outcome(stop, .canceled), nowNs: 0)
        #expect(e.counters.unmatchedReports == 0)
        e.handleExecution(fill(target, "0.100", at: "42000.00"), nowNs: 0)
        #expect(e.counters.unmatchedReports == 1)
        #expect(e.snapshot(acct0).walletBalance == money("10022.40"))
    }

    /// sl-tp-boundaries: 100 TST at 100.00 with fallback 2 % / 3 %: long SL 98.00, TP 103.00;
    /// short SL 102.00, TP 97.00. Levels are inclusive (≤ / ≥).
    @Test(arguments: [
        (Side.buy, "98.01", "98.00", CloseReason.stopLoss),
        (Side.buy, "102.99", "103.00", CloseReason.takeProfit),
        (Side.sell, "101.99", "102.00", CloseReason.stopLoss),
        (Side.sell, "97.01", "97.00", CloseReason.takeProfit),
    ])
    func stopLossAndTakeProfitBoundaries(side: Side, justBefore: String, atLevel: String, reason: CloseReason) throws {
        var e = makeEngine()
        let adopted = e.adoptPosition(acct0, Sym.tst, side: side, quantity: qty("100", Sym.tst),
                                      entryPrice: px("100.00", Sym.tst), nowNs: 0)
        #expect(adopted)
        let id = try #require(e.position(acct0, Sym.tst)).positionID
        e.handleMarketEvent(trade(Sym.tst, justBefore), nowNs: 1)
        #expect(e.outbox.intents.isEmpty)
        e.handleMarketEvent(trade(Sym.tst, atLevel), nowNs: 2)
        #expect(e.outbox.intents.count == 1)
        let close = try #require(e.outbox.intents[safe: 0])
        #expect(close.closeReason == reason)
        #expect(close.reduceOnly && close.type == .market && close.side == side.opposite)
        #expect(close.quantity == qty("100", Sym.tst))
        #expect(close.ingressNs == 11)  // the price event's, for tick-to-order latency
        let log = try #require(e.outbox.logs[safe: 0])
        #expect(log.code == (reason == .stopLoss ? .positionClosedStopLoss : .positionClosedTakeProfit))
        #expect(log.argument(0) == (Int64(id), 0))
        #expect(log.argument(1) == (px(atLevel, Sym.tst).raw, 2))
        #expect(e.position(acct0, Sym.tst)?.phase == .closing)
    }

    @Test func logTemplatesReadAsTheIssueWritesThem() throws {
        #expect(LogCode.positionClosedStopLoss.template == "Position {} closed - StopLoss at {}")
        #expect(LogCode.positionClosedTakeProfit.template == "Position {} closed - TakeProfit at {}")
        #expect(LogCode.marginCallClosure.template == "Emergency closure - Margin call: margin_level={}%")
    }

    @Test func noDuplicateCloseWhileOneIsInFlight() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "98.00"), nowNs: 0)
        let first = try #require(e.outbox.intents[safe: 0])
        for price in ["97.00", "96.00", "99.00", "104.00"] {
            e.handleMarketEvent(trade(Sym.tst, price), nowNs: 0)
            #expect(e.outbox.intents.isEmpty, "at \(price)")
        }
        e.handleCommand(Command(kind: .closePosition, issuedNs: 0, requestID: 1, account: acct0, symbol: Sym.tst), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        #expect(e.counters.commandsIgnored == 1)
        // The venue cancels the close: the position is live again and the next price retries once.
        e.handleExecution(outcome(first, .canceled), nowNs: 0)
        #expect(e.counters.closesFailed == 1)
        #expect(e.position(acct0, Sym.tst)?.phase == .open)
        e.handleMarketEvent(trade(Sym.tst, "97.50"), nowNs: 0)
        #expect(e.outbox.intents.count == 1)
        let second = try #require(e.outbox.intents[safe: 0])
        #expect(second.clientOrderID != first.clientOrderID)
        e.handleMarketEvent(trade(Sym.tst, "97.40"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        e.handleExecution(fill(second, "100", at: "97.40"), nowNs: 0)
        #expect(e.position(acct0, Sym.tst) == nil)
        #expect(e.snapshot(acct0).walletBalance == money("9740"))  // 10 000 + 100 × (97.40 − 100.00)
        e.handleMarketEvent(trade(Sym.tst, "90.00"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        #expect(e.counters.stopLossCloses == 2)
    }

    @Test func closeRejectedBecauseThePositionIsGoneCountsAsClosed() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "98.00"), nowNs: 0)
        e.handleExecution(outcome(try #require(e.outbox.intents[safe: 0]), .rejected, venueErrorCode: -2022), nowNs: 0)
        #expect(e.position(acct0, Sym.tst) == nil)
        #expect(e.counters.closesAlreadyFlat == 1)
        #expect(e.snapshot(acct0).walletBalance == money("9800"))  // booked at the last mark: −200.00
    }

    @Test func protectiveCloseStillGoesOutWhileTheStoreIsDegraded() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .sell, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleStoreStatus(StoreStatus(state: .degraded, timeNs: 0), nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "102.00"), nowNs: 0)
        #expect(e.outbox.intents.first?.closeReason == .stopLoss)
        e.handleSignal(signal(Sym.eth, .long, entry: "2000.00"), nowNs: 0)
        #expect(e.outbox.denials.first?.reason == .storeDegraded)
    }

    @Test func entryTheStageCouldNotSendFreesItsSlot() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        let intent = try #require(e.outbox.intents[safe: 0])
        e.orderNotSent(intent)
        #expect(e.position(acct0, Sym.btc) == nil)
        #expect(e.snapshot(acct0).availableMargin == money("10000"))
        #expect(e.snapshot(acct0).openPositions == 0)
        e.handleExecution(fill(intent, "0.115", at: "43251.30"), nowNs: 0)
        #expect(e.counters.unmatchedReports == 1)
    }

    @Test func entryRejectedByTheVenueFreesItsSlot() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        e.handleExecution(outcome(try #require(e.outbox.intents[safe: 0]), .rejected, venueErrorCode: -2019), nowNs: 0)
        #expect(e.position(acct0, Sym.btc) == nil)
        #expect(e.counters.entriesRejected == 1)
        #expect(e.snapshot(acct0).availableMargin == money("10000"))
    }

    /// One `PositionUpdate` per open position every 5 s from its first fill, on the caller's clock.
    @Test func positionUpdatesEveryFiveSecondsOnAnInjectedClock() throws {
        var e = makeEngine()
        let t0: UInt64 = 1_000
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: t0)
        e.handleMarketEvent(trade(Sym.tst, "101.50", timeMs: 77), nowNs: t0)
        var times: [UInt64] = []
        for now: UInt64 in [5_000_000_999, 5_000_001_000, 5_000_001_001, 7_000_000_000, 10_000_001_000,
                            23_000_000_000, 24_000_000_000, 25_000_001_000] {
            e.poll(nowNs: now)
            if !e.outbox.positionUpdates.isEmpty {
                #expect(e.outbox.positionUpdates.count == 1)
                times.append(now)
            }
        }
        // Late at 23 s: one update, and the cadence stays on t0 + 5 s × k (next at 25.000001 s).
        #expect(times == [5_000_001_000, 10_000_001_000, 23_000_000_000, 25_000_001_000])
        e.poll(nowNs: 30_000_001_000)
        let u = try #require(e.outbox.positionUpdates[safe: 0])
        #expect(u.timeNs == 30_000_001_000 && u.eventTimeMs == 77)
        #expect(u.account == acct0 && u.symbol == Sym.tst && u.side == .buy)
        #expect(u.quantity == qty("100", Sym.tst))
        #expect(u.entryPrice == px("100.00", Sym.tst) && u.markPrice == px("101.50", Sym.tst))
        #expect(u.unrealizedPnL == px("150.00", Sym.tst))  // symbol price scale
        #expect(u.accruedFunding == .zero)
    }

    @Test func positionUpdatesStopWhenThePositionCloses() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "98.00"), nowNs: 0)
        e.handleExecution(fill(try #require(e.outbox.intents[safe: 0]), "100", at: "98.00"), nowNs: 0)
        e.poll(nowNs: 5_000_000_000)
        #expect(e.outbox.positionUpdates.isEmpty)
    }
}

@Suite struct SafetyNetAndMarkingTests {
    @Test func aSafetyNetFillClosesThePosition() throws {
        var e = makeEngine(protective: true)
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00"), nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(entry, "0.100", at: "40000.00"), nowNs: 0)
        let stop = try #require(e.outbox.intents[safe: 0])
        #expect(stop.type == .stopMarket)
        // The venue's stop fires first (say the engine missed the print): its fill closes the position.
        e.handleExecution(fill(stop, "0.100", at: "38990.00"), nowNs: 0)
        #expect(e.position(acct0, Sym.btc) == nil)
        #expect(e.counters.venueCloseFills == 1)
        #expect(e.snapshot(acct0).walletBalance == money("9899"))  // 10 000 + 0.100 × (38 990.00 − 40 000.00)
    }

    @Test func markPriceAccountsIgnoreTradesOnceTheMarkHasPrinted() throws {
        var e = makeEngine([AccountSettings(id: acct0, markingSource: .markPrice)])
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleMarketEvent(markPrice(Sym.tst, "99.00", rateE8: 0, nextFundingMs: 0, timeMs: 1), nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "97.00"), nowNs: 0)  // below the 98.00 stop, but not the mark
        #expect(e.outbox.intents.isEmpty)
        #expect(e.position(acct0, Sym.tst)?.unrealizedPnL == money("-100"))
        e.handleMarketEvent(markPrice(Sym.tst, "98.00", rateE8: 0, nextFundingMs: 0, timeMs: 2), nowNs: 0)
        #expect(e.outbox.intents.first?.closeReason == .stopLoss)
    }
}
