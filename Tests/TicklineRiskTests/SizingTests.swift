import Testing
import TicklineCore
@testable import TicklineRisk

/// Sizing and levels. Expected figures: scripts/risk_reference.py (scenario named in each test).
@Suite struct SizingTests {
    /// sizing-long-fallback: BTCUSDT (tick 0.10, step 0.001), equity 10 000, risk 1 %, entry
    /// 43 251.30, fallback 2 % / 3 % → SL 42 386.30 (42 386.274 rounded up, toward the entry), TP
    /// 44 548.80 (44 548.839 rounded down), distance 865.00, quantity 0.115 (0.11560… rounded
    /// down), notional 4 973.8995, required 497.38995 + 1.9895598 = 499.3795098.
    @Test func longWithFallbackLevels() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        #expect(e.outbox.denials.isEmpty)
        let intent = try #require(e.outbox.intents[safe: 0])
        #expect(intent.quantity == qty("0.115", Sym.btc))
        #expect(intent.side == .buy)
        #expect(intent.type == .market)
        #expect(!intent.reduceOnly)
        #expect(intent.closeReason == .none)
        #expect(intent.signalID == 1)
        let p = try #require(e.position(acct0, Sym.btc))
        #expect(p.phase == .opening)
        #expect(p.stopLoss == px("42386.30", Sym.btc))
        #expect(p.takeProfit == px("44548.80", Sym.btc))
        #expect(e.snapshot(acct0).availableMargin == money("9500.62049020"))  // 10 000 − 499.3795098
        #expect(e.snapshot(acct0).openPositions == 1)
    }

    /// sizing-short-signal-levels: the signal's SL 43 860.05 and TP 41 709.95 are off the 0.10
    /// grid: SL rounds down to 43 860.00 and TP up to 41 710.00 (toward the entry 43 000.00);
    /// quantity 100 ÷ 860.00 = 0.1162… → 0.116.
    @Test func shortWithSignalLevelsOffTheTickGrid() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .short, entry: "43000.00", stopLoss: "43860.05", takeProfit: "41709.95"), nowNs: 0)
        let intent = try #require(e.outbox.intents[safe: 0])
        #expect(intent.side == .sell)
        #expect(intent.quantity == qty("0.116", Sym.btc))
        let p = try #require(e.position(acct0, Sym.btc))
        #expect(p.stopLoss == px("43860.00", Sym.btc))
        #expect(p.takeProfit == px("41710.00", Sym.btc))
    }

    /// sizing-short-fallback: ETHUSDT, equity 5 000, risk 2 %, entry 2 345.67 → SL 2 392.58
    /// (2 392.5834 down), TP 2 275.30 (2 275.2999 up), quantity 100 ÷ 46.91 = 2.1317… → 2.131.
    @Test func shortWithFallbackLevels() throws {
        var e = makeEngine([AccountSettings(id: acct0, riskPerTradeBp: 200)], wallet: "5000")
        e.handleSignal(signal(Sym.eth, .short, entry: "2345.67"), nowNs: 0)
        #expect(e.outbox.intents[safe: 0]?.quantity == qty("2.131", Sym.eth))
        let p = try #require(e.position(acct0, Sym.eth))
        #expect(p.stopLoss == px("2392.58", Sym.eth))
        #expect(p.takeProfit == px("2275.30", Sym.eth))
    }

    @Test func equityIncludesUnrealizedPnL() throws {
        // A TST long of 100 @ 10.00 (stop 9.80, target 10.30) marked at 10.20 is +20: equity
        // 2 020, risk 1 % = 20.20; XRP entry 0.5000, stop 0.4900 → 20.20 ÷ 0.0100 = 2 020.0 XRP.
        var e = makeEngine(wallet: "2000")
        _ = e.open(signal(Sym.tst, .long, entry: "10.00"))
        e.handleMarketEvent(trade(Sym.tst, "10.20"), nowNs: 0)
        #expect(e.outbox.intents.isEmpty)
        #expect(e.snapshot(acct0).equity == money("2020"))
        e.handleSignal(signal(Sym.xrp, .long, entry: "0.5000", stopLoss: "0.4900"), nowNs: 0)
        #expect(e.outbox.intents[safe: 0]?.quantity == qty("2020.0", Sym.xrp))
    }

    @Test func configurationIsValidated() throws {
        #expect(throws: RiskConfigurationError.outOfRange(account: 0, key: "leverage", value: 126)) {
            try RiskEngine(accounts: [AccountSettings(id: acct0, leverage: 126)], symbols: Sym.rules())
        }
        #expect(throws: RiskConfigurationError.outOfRange(account: 0, key: "leverage", value: 0)) {
            try RiskEngine(accounts: [AccountSettings(id: acct0, leverage: 0)], symbols: Sym.rules())
        }
        #expect(throws: RiskConfigurationError.accountIDsNotDense(position: 0, id: 1)) {
            try RiskEngine(accounts: [AccountSettings(id: acct1)], symbols: Sym.rules())
        }
        let defaults = AccountSettings(id: acct0)
        #expect(defaults.leverage == 10 && defaults.maxOpenPositions == 10 && defaults.minConfidenceBp == 7_000)
        #expect(defaults.minRiskRewardBp == 15_000 && defaults.markingSource == .lastTrade)
    }
}
