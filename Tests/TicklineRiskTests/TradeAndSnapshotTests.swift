import Testing
import TicklineCore
@testable import TicklineRisk

/// Trades opened and closed (for the `trades` table) and portfolio snapshots (for `snapshots`).
@Suite struct TradeRecordTests {
    /// Partial entry fills open one trade, at the first fill.
    @Test func theFirstEntryFillOpensOneTrade() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00", id: 77),
                       nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        #expect(e.outbox.tradesOpened.isEmpty)  // an order, no fill yet
        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", commission: "0.64",
                               kind: .partiallyFilled), nowNs: 5)
        #expect(e.outbox.tradesOpened.count == 1)
        let opened = try #require(e.outbox.tradesOpened[safe: 0])
        let positionID = try #require(e.position(acct0, Sym.btc)).positionID
        #expect(opened.positionID == positionID && opened.account == acct0 && opened.symbol == Sym.btc)
        #expect(opened.side == .buy && !opened.adopted)
        #expect(opened.quantity == qty("0.040", Sym.btc) && opened.entryPrice == px("40000.00", Sym.btc))
        #expect(opened.stopLoss == px("39000.00", Sym.btc) && opened.takeProfit == px("42000.00", Sym.btc))
        #expect(opened.signalID == 77 && opened.entryClientOrderID == entry.clientOrderID)
        #expect(opened.entryTimeMs == 2_000 && opened.ingressNs == 13)  // the fill's venue time and ingress
        #expect(opened.fees == px("0.64", Sym.btc))
        // The rest of the entry: no second open; a duplicate neither.
        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", commission: "0.64",
                               kind: .partiallyFilled), nowNs: 6)
        #expect(e.outbox.tradesOpened.isEmpty)
        e.handleExecution(fill(entry, "0.060", at: "40100.00", cumulative: "0.100", commission: "0.96"), nowNs: 7)
        #expect(e.outbox.tradesOpened.isEmpty && e.outbox.tradesClosed.isEmpty)
        #expect(e.counters.tradesOpened == 1)
    }

    /// Hand-worked: long 0.040 @ 40 000.00 (fee 0.64) + 0.060 @ 40 100.00 (fee 0.96): cost
    /// 4 006.00, average 40 060.00. Manual close 0.050 @ 40 300.00 (fee 0.80) + 0.050 @ 40 200.00
    /// (fee 0.80): exit notional 2 015.00 + 2 010.00 = 4 025.00, VWAP 40 250.00; price PnL
    /// 4 025.00 − 4 006.00 = 19.00; fees 3.20; realized 19.00 − 3.20 = 15.80 (the wallet's gain).
    @Test func theLastClosingFillClosesTheTradeWithItsPnL() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00"), nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", commission: "0.64",
                               kind: .partiallyFilled), nowNs: 0)
        let positionID = try #require(e.outbox.tradesOpened[safe: 0]).positionID
        e.handleExecution(fill(entry, "0.060", at: "40100.00", cumulative: "0.100", commission: "0.96"), nowNs: 0)
        e.handleCommand(Command(kind: .closePosition, issuedNs: 0, requestID: 1, account: acct0, symbol: Sym.btc), nowNs: 0)
        let close = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(close, "0.050", at: "40300.00", cumulative: "0.050", commission: "0.80",
                               kind: .partiallyFilled), nowNs: 0)
        #expect(e.outbox.tradesClosed.isEmpty)  // 0.050 still open
        var last = fill(close, "0.050", at: "40200.00", cumulative: "0.100", commission: "0.80")
        last.eventTimeMs = 9_000
        e.handleExecution(last, nowNs: 0)
        #expect(e.outbox.tradesClosed.count == 1)
        let closed = try #require(e.outbox.tradesClosed[safe: 0])
        #expect(closed.positionID == positionID && closed.reason == .manual && !closed.adopted)
        #expect(closed.quantity == qty("0.100", Sym.btc) && closed.entryPrice == px("40060.00", Sym.btc))
        #expect(closed.exitPrice == px("40250.00", Sym.btc))
        #expect(closed.realizedPnL == px("15.80", Sym.btc))
        #expect(closed.fees == px("3.20", Sym.btc) && closed.funding == .zero)
        #expect(closed.entryTimeMs == 2_000 && closed.exitTimeMs == 9_000)
        #expect(closed.exitClientOrderID == close.clientOrderID)
        #expect(e.snapshot(acct0).walletBalance == money("10015.80"))
        #expect(e.counters.tradesClosed == 1)
    }

    /// The venue's STOP_MARKET filling closes the trade with reason StopLoss.
    @Test func aSafetyNetFillClosesTheTradeAsStopLoss() throws {
        var e = makeEngine(protective: true)
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00"), nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(entry, "0.100", at: "40000.00"), nowNs: 0)
        #expect(e.outbox.tradesOpened.count == 1)
        let stop = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(stop, "0.100", at: "38990.00", commission: "1.56"), nowNs: 0)
        let closed = try #require(e.outbox.tradesClosed[safe: 0])
        #expect(closed.reason == .stopLoss && closed.exitPrice == px("38990.00", Sym.btc))
        #expect(closed.realizedPnL == px("-102.56", Sym.btc))  // 0.100 × (38 990 − 40 000) − 1.56
        #expect(closed.exitClientOrderID == stop.clientOrderID)
    }

    /// Risk's own take-profit close, then a close rejected with -2022: closed at the last mark.
    @Test func closeReasonsFollowRisksOwnCloses() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .sell, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0, entryTimeMs: 1_000)
        e.handleMarketEvent(trade(Sym.tst, "97.00"), nowNs: 0)  // short TP at 97.00
        let close = try #require(e.outbox.intents[safe: 0])
        #expect(close.closeReason == .takeProfit)
        e.handleExecution(fill(close, "100", at: "96.90"), nowNs: 0)
        let closed = try #require(e.outbox.tradesClosed[safe: 0])
        #expect(closed.reason == .takeProfit && closed.adopted)
        #expect(closed.realizedPnL == px("310.00", Sym.tst))  // 100 × (100.00 − 96.90)

        e.adoptPosition(acct0, Sym.eth, side: .buy, quantity: qty("1.000", Sym.eth), entryPrice: px("2000.00", Sym.eth),
                        nowNs: 0, entryTimeMs: 1_000)
        e.handleMarketEvent(trade(Sym.eth, "1960.00"), nowNs: 0)  // long SL at 1 960.00
        let stop = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(outcome(stop, .rejected, venueErrorCode: -2022), nowNs: 0)
        let flat = try #require(e.outbox.tradesClosed[safe: 0])
        #expect(flat.reason == .stopLoss && flat.exitPrice == px("1960.00", Sym.eth))
        #expect(flat.realizedPnL == px("-40.00", Sym.eth))
    }

    /// Adoptions accumulate `TradeOpened`s (marked adopted) until the next call clears the outbox.
    @Test func adoptedPositionsOpenTradesMarkedAdopted() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 3, entryTimeMs: 1_700_000_000_000)
        e.adoptPosition(acct0, Sym.eth, side: .sell, quantity: qty("2.000", Sym.eth), entryPrice: px("2000.00", Sym.eth),
                        nowNs: 3, entryTimeMs: 1_700_000_000_000)
        #expect(e.outbox.tradesOpened.count == 2)
        let first = try #require(e.outbox.tradesOpened[safe: 0]), second = try #require(e.outbox.tradesOpened[safe: 1])
        #expect(first.adopted && second.adopted)
        #expect(first.symbol == Sym.tst && first.quantity == qty("100", Sym.tst) && first.entryPrice == px("100.00", Sym.tst))
        #expect(first.stopLoss == px("98.00", Sym.tst) && first.takeProfit == px("103.00", Sym.tst))
        #expect(first.entryTimeMs == 1_700_000_000_000 && first.signalID == 0 && first.entryClientOrderID == 0)
        #expect(second.side == .sell && second.positionID != first.positionID)
        e.poll(nowNs: 4)
        #expect(e.outbox.tradesOpened.isEmpty)
    }

    /// An entry partly filled, stopped out, then filled further: the new exposure is a new trade.
    @Test func entryFillsAfterTheTradeClosedOpenANewTrade() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "40000.00", stopLoss: "39000.00", takeProfit: "42000.00"), nowNs: 0)
        let entry = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(entry, "0.040", at: "40000.00", cumulative: "0.040", kind: .partiallyFilled), nowNs: 0)
        let firstID = try #require(e.outbox.tradesOpened[safe: 0]).positionID
        e.handleMarketEvent(trade(Sym.btc, "39000.00"), nowNs: 0)
        let stop = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(stop, "0.040", at: "39000.00"), nowNs: 0)
        #expect(try #require(e.outbox.tradesClosed[safe: 0]).realizedPnL == px("-40.00", Sym.btc))
        e.handleExecution(fill(entry, "0.060", at: "39000.00", cumulative: "0.100"), nowNs: 0)
        let reopened = try #require(e.outbox.tradesOpened[safe: 0])
        #expect(reopened.positionID != firstID && reopened.quantity == qty("0.060", Sym.btc))
        #expect(e.position(acct0, Sym.btc)?.positionID == reopened.positionID)
    }
}

@Suite struct PortfolioSnapshotTests {
    static let minute: UInt64 = 60_000_000_000

    func twoAccounts(startNs: UInt64 = 0) -> RiskEngine {
        var e = try! RiskEngine(accounts: [AccountSettings(id: acct0), AccountSettings(id: acct1)], symbols: Sym.rules(),
                                symbolCount: 5, exchangeProtectiveOrders: false, startNs: startNs)
        e.setWalletBalance(acct0, money("10000"))
        e.setWalletBalance(acct1, money("5000"))
        return e
    }

    /// None before 15 minutes; at 15 minutes one per account with positions (account 1, flat and
    /// idle, is skipped), then every 15 minutes on the same cadence.
    @Test func everyFifteenMinutesForAccountsWithPositions() throws {
        #expect(RiskEngine.defaultSnapshotIntervalNs == 15 * Self.minute)
        var e = twoAccounts(startNs: 1_000)
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 1_000, entryTimeMs: 1)
        e.handleMarketEvent(trade(Sym.tst, "101.50", timeMs: 1_700_000_000_000), nowNs: 2_000)
        for now in [0, Self.minute, 14 * Self.minute, 15 * Self.minute + 999] {
            e.poll(nowNs: now, wallTimeMs: 1_700_000_900_000)
            #expect(e.outbox.accountSnapshots.isEmpty, "at \(now)")
        }
        e.poll(nowNs: 15 * Self.minute + 1_000, wallTimeMs: 1_700_000_900_000)
        #expect(e.outbox.accountSnapshots.count == 1)
        let s = try #require(e.outbox.accountSnapshots[safe: 0])
        #expect(s.account == acct0 && s.timeMs == 1_700_000_900_000 && s.timeNs == 15 * Self.minute + 1_000)
        #expect(s.cashBalance == money("10000") && s.unrealizedPnL == money("150"))
        #expect(s.equity == money("10150"))
        #expect(s.marginUsed == money("1015"))  // 100 × 101.50 ÷ 10
        #expect(s.freeMargin == money("9135"))  // 10 150 − 1 015
        #expect(s.positionCount == 1)
        #expect(e.outbox.snapshotPositions.count == 1)
        let p = try #require(e.outbox.snapshotPositions[safe: 0])
        #expect(p.account == acct0 && p.symbol == Sym.tst && p.eventTimeMs == s.timeMs)
        #expect(p.quantity == qty("100", Sym.tst) && p.markPrice == px("101.50", Sym.tst))
        #expect(p.unrealizedPnL == px("150.00", Sym.tst))

        e.poll(nowNs: 29 * Self.minute, wallTimeMs: 1_700_001_700_000)
        #expect(e.outbox.accountSnapshots.isEmpty)
        // Late: one snapshot, the cadence stays at 1 000 ns + 15 min × k.
        e.poll(nowNs: 50 * Self.minute, wallTimeMs: 1_700_003_000_000)
        #expect(e.outbox.accountSnapshots.count == 1)
        #expect(e.nextSnapshotDueNs == 60 * Self.minute + 1_000)
        #expect(e.counters.snapshots == 2)
    }

    /// An account flat now but with a trade since its last snapshot gets one (no position rows);
    /// the next interval, idle, it does not.
    @Test func aFlatAccountWithATradeSinceTheLastSnapshotGetsOne() throws {
        var e = twoAccounts()
        e.handleSignal(signal(Sym.tst, .long, entry: "100.00"), nowNs: 0)
        let entries = e.outbox.intents.map { $0 }
        #expect(entries.map(\.account) == [acct0, acct1])
        for entry in entries {
            e.handleExecution(fill(entry, entry.quantity.description(scale: Sym.quantityScale(Sym.tst)), at: "100.00"),
                              nowNs: 0)
        }
        e.handleCommand(Command(kind: .closePosition, issuedNs: 0, requestID: 1, account: acct1, symbol: Sym.tst), nowNs: 0)
        let close = try #require(e.outbox.intents[safe: 0])
        e.handleExecution(fill(close, close.quantity.description(scale: Sym.quantityScale(Sym.tst)), at: "101.00"),
                          nowNs: 0)
        #expect(e.position(acct1, Sym.tst) == nil && e.position(acct0, Sym.tst) != nil)
        e.poll(nowNs: 15 * Self.minute)  // no wall time: the latest venue event time (the fills', 2 000 ms)
        #expect(e.outbox.accountSnapshots.map(\.account) == [acct0, acct1])
        let flat = try #require(e.outbox.accountSnapshots[safe: 1])
        #expect(flat.positionCount == 0 && flat.unrealizedPnL == .zero && flat.marginUsed == .zero)
        #expect(flat.timeMs == 2_000)
        #expect(e.outbox.snapshotPositions.map(\.account) == [acct0])  // account 0's open TST
        e.poll(nowNs: 30 * Self.minute)
        #expect(e.outbox.accountSnapshots.map(\.account) == [acct0])
        // A stalled clock still gives account 0 a later key than its last snapshot.
        #expect(e.outbox.accountSnapshots[safe: 0]?.timeMs == 2_001)
    }

    @Test func anIntervalOfZeroTakesNone() throws {
        #expect(RiskEngine.defaultSnapshotIntervalNs > 0)
        var e = try RiskEngine(accounts: [AccountSettings(id: acct0)], symbols: Sym.rules(), symbolCount: 5,
                               snapshotIntervalNs: 0)
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.poll(nowNs: 1_000 * Self.minute)
        #expect(e.outbox.accountSnapshots.isEmpty)
    }
}
