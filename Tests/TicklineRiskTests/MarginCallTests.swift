import Testing
import TicklineCore
@testable import TicklineRisk

/// margin-call-three (scripts/risk_reference.py): cross, leverage 10, wallet 1 600; longs
/// A = 0.200 BTC @ 40 000.00, B = 2.000 ETH @ 2 000.00, C = 2 000.0 XRP @ 0.5000 (margin 1 300,
/// level 123.08 %). Marks XRP 0.4800 (level 120.37 %), BTC 39 500.00 (113.53 %), then ETH
/// 1 800.00: equity 1 060, margin used 1 246 → 85.07 %. Worst first: B (−400) → 1 060 ÷ 886 =
/// 119.64 %, still < 120 %; then A (−100) → 1 060 ÷ 96 = 1 104.17 %: done, C stays open.
@Suite struct MarginCallTests {
    func threePositions() -> RiskEngine {
        var e = makeEngine([AccountSettings(id: acct0, leverage: 10, marginType: .crossed, stopLossFallbackBp: 5_000,
                                            takeProfitFallbackBp: 5_000)], wallet: "1600")
        e.adoptPosition(acct0, Sym.btc, side: .buy, quantity: qty("0.200", Sym.btc), entryPrice: px("40000.00", Sym.btc),
                        nowNs: 0)
        e.adoptPosition(acct0, Sym.eth, side: .buy, quantity: qty("2.000", Sym.eth), entryPrice: px("2000.00", Sym.eth),
                        nowNs: 0)
        e.adoptPosition(acct0, Sym.xrp, side: .buy, quantity: qty("2000.0", Sym.xrp), entryPrice: px("0.5000", Sym.xrp),
                        nowNs: 0)
        return e
    }

    @Test func closesWorstFirstUntilTheLevelIsBackAbove120Percent() throws {
        var e = threePositions()
        #expect(e.snapshot(acct0).marginLevelCentiPercent == 12_307)  // 1 600 ÷ 1 300
        e.handleMarketEvent(trade(Sym.xrp, "0.4800"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        #expect(e.snapshot(acct0).marginLevelCentiPercent == 12_037)
        e.handleMarketEvent(trade(Sym.btc, "39500.00"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        #expect(e.snapshot(acct0).marginLevelCentiPercent == 11_353)
        e.handleMarketEvent(trade(Sym.eth, "1800.00"), nowNs: 5)

        let out = e.outbox
        #expect(out.intents.map(\.symbol) == [Sym.eth, Sym.btc])
        for intent in out.intents {
            #expect(intent.closeReason == .marginCall && intent.reduceOnly && intent.side == .sell && intent.type == .market)
        }
        #expect(out.intents[safe: 0]?.quantity == qty("2.000", Sym.eth))
        #expect(out.intents[safe: 1]?.quantity == qty("0.200", Sym.btc))
        #expect(out.logs.map(\.code) == [.marginCallClosure, .marginCallClosure])
        #expect(try #require(out.logs[safe: 0]).argument(0) == (8_507, 2))  // "margin_level=85.07%"
        #expect(try #require(out.logs[safe: 1]).argument(0) == (11_963, 2))  // "margin_level=119.63%"
        #expect(out.marginCallClosures.count == 2)
        let b = try #require(out.marginCallClosures[safe: 0]), a = try #require(out.marginCallClosures[safe: 1])
        #expect(b.symbol == Sym.eth && b.unrealizedPnL == money("-400") && b.marginLevelCentiPercent == 8_507)
        #expect(b.equity == money("1060") && b.marginUsed == money("1246"))
        #expect(b.clientOrderID == out.intents[safe: 0]?.clientOrderID && b.markPrice == px("1800.00", Sym.eth))
        #expect(a.symbol == Sym.btc && a.unrealizedPnL == money("-100") && a.marginUsed == money("886"))
        #expect(out.alerts.count == 1)
        #expect(out.alerts[safe: 0]?.level == .critical && out.alerts[safe: 0]?.code == .marginCallAlert)
        let alert = try #require(out.alerts[safe: 0])
        #expect(alert.argument(1) == (8_507, 2) && alert.argument(2) == (2, 0))
        #expect(e.position(acct0, Sym.xrp)?.phase == .open)
        #expect(e.position(acct0, Sym.eth)?.closeReason == .marginCall)
        // Recomputed with the two closes in flight treated as closed at the mark: 1 060 ÷ 96.
        #expect(e.snapshot(acct0).marginLevelCentiPercent == 110_416)
        #expect(e.counters.marginCalls == 1 && e.counters.marginCallCloses == 2)

        // Further prices while the closes are in flight send nothing more.
        e.handleMarketEvent(trade(Sym.eth, "1700.00"), nowNs: 6)
        e.handleMarketEvent(trade(Sym.btc, "39000.00"), nowNs: 7)
        #expect(e.outbox.intents.isEmpty && e.outbox.alerts.isEmpty)

        e.handleExecution(fill(try #require(out.intents[safe: 0]), "2.000", at: "1800.00"), nowNs: 8)
        e.handleExecution(fill(try #require(out.intents[safe: 1]), "0.200", at: "39500.00"), nowNs: 8)
        #expect(e.snapshot(acct0).walletBalance == money("1100"))  // 1 600 − 400 − 100
        #expect(e.snapshot(acct0).openPositions == 1)
        #expect(e.positions.map(\.symbol) == [Sym.xrp])
    }

    @Test func aRefusedMarginCloseMakesThePositionLiveAgain() throws {
        var e = threePositions()
        e.handleMarketEvent(trade(Sym.xrp, "0.4800"), nowNs: 0)
        e.handleMarketEvent(trade(Sym.btc, "39500.00"), nowNs: 0)
        e.handleMarketEvent(trade(Sym.eth, "1800.00"), nowNs: 0)
        let ethClose = try #require(e.outbox.intents[safe: 0]), btcClose = try #require(e.outbox.intents[safe: 1])
        e.handleExecution(fill(btcClose, "0.200", at: "39500.00"), nowNs: 0)
        e.handleExecution(outcome(ethClose, .canceled), nowNs: 0)
        // ETH is live again: equity 1 060, used (3 600 + 960) ÷ 10 = 456 → 232.45 %.
        #expect(e.snapshot(acct0).marginLevelCentiPercent == 23_245)
        // ETH to 1 500.00: −1 000 → equity 460, used 396 → 116.16 %: above the 110 % trigger.
        e.handleMarketEvent(trade(Sym.eth, "1500.00"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        // ETH to 1 450.00: −1 100 → equity 360, used 386 → 93.26 %: ETH (worst) closes; XRP alone
        // then gives 360 ÷ 96 = 375 %.
        e.handleMarketEvent(trade(Sym.eth, "1450.00"), nowNs: 0)
        #expect(e.outbox.intents.map(\.symbol) == [Sym.eth])
        #expect(try #require(e.outbox.logs[safe: 0]).argument(0) == (9_326, 2))
        #expect(e.counters.marginCalls == 2)
    }
}
