import Testing
import TicklineCore
@testable import TicklineRisk

/// Every denial reason, each at its boundary where it has one, counted per reason.
@Suite struct SignalValidationTests {
    func onlyDenial(_ e: RiskEngine) -> OrderDenied? {
        guard e.outbox.intents.isEmpty, e.outbox.denials.count == 1 else { return nil }
        return e.outbox.denials[safe: 0]
    }

    @Test func flatSignalIsNotDirectional() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .flat, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .notDirectional)
        #expect(e.counters.denials(.notDirectional) == 1)
    }

    @Test func symbolWithoutRulesIsNotTradable() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.unconfigured, .long, entry: "1.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .symbolNotTradable)
    }

    @Test func confidenceBelowMinimumIsDeniedAndTheMinimumPasses() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", confidenceBp: 6_999), nowNs: 0)
        let d = onlyDenial(e)
        #expect(d?.reason == .lowConfidence)
        #expect(d?.limitValue == 7_000)
        #expect(d?.side == .buy)
        #expect(d?.signalID == 1)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", confidenceBp: 7_000), nowNs: 0)
        #expect(e.outbox.intents.count == 1)
        #expect(e.counters.denials(.lowConfidence) == 1)
    }

    @Test func maxOpenPositionsCountsOpeningEntries() throws {
        var e = makeEngine([AccountSettings(id: acct0, maxOpenPositions: 1)])
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(e.outbox.intents.count == 1)  // in flight, not yet filled: it occupies the slot
        e.handleSignal(signal(Sym.eth, .short, entry: "2000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .maxOpenPositions)
        #expect(onlyDenial(e)?.limitValue == 1)
        #expect(onlyDenial(e)?.side == .sell)
    }

    @Test func switchedOffGloballyOrForTheAccount() throws {
        var e = makeEngine()
        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 1, enabled: false), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .tradingDisabledGlobally)
        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 2, enabled: true), nowNs: 0)
        e.handleCommand(Command(kind: .setAccountTrading, issuedNs: 0, requestID: 3, account: acct0, enabled: false),
                        nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .tradingDisabledForAccount)
    }

    @Test func degradedStoreRefusesNewPositions() throws {
        var e = makeEngine()
        e.handleStoreStatus(StoreStatus(state: .degraded, timeNs: 0), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .storeDegraded)
        e.handleStoreStatus(StoreStatus(state: .recovered, timeNs: 0), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(e.outbox.intents.count == 1)
    }

    @Test func oneWayModeOnePositionPerSymbol() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .short, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .positionAlreadyOpen)
    }

    @Test func riskRewardOnlyWhenTheSignalStatesIt() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", riskRewardBp: 14_999), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .riskRewardTooLow)
        #expect(onlyDenial(e)?.limitValue == 15_000)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", riskRewardBp: 15_000), nowNs: 0)
        #expect(e.outbox.intents.count == 1)
        e.handleSignal(signal(Sym.eth, .long, entry: "2000.00", riskRewardBp: 0), nowNs: 0)  // not stated
        #expect(e.outbox.intents.count == 1)
    }

    @Test func noEntryAndNoPriceYet() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: ""), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .noMarketPrice)
        // With a last trade it sizes at that price instead.
        e.handleMarketEvent(trade(Sym.btc, "43251.30"), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: ""), nowNs: 0)
        #expect(e.outbox.intents.first?.quantity == qty("0.115", Sym.btc))  // as sizing-long-fallback
    }

    @Test func levelsOnTheWrongSideOrCollapsedByRounding() throws {
        var e = makeEngine()
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", stopLoss: "43000.50"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .invalidStopDistance)
        e.handleSignal(signal(Sym.btc, .short, entry: "43000.00", takeProfit: "43100.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .invalidStopDistance)
        // Long stop 42 999.95 rounds up to the tick (toward the entry): 43 000.00, no distance left.
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", stopLoss: "42999.95"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .invalidStopDistance)
        #expect(e.counters.denials(.invalidStopDistance) == 3)
    }

    /// tst-min-notional (scripts/risk_reference.py): equity 2 000, risk 1 %, entry 10.00, stop 9.80
    /// → quantity 100, notional 1 000.00.
    @Test func minNotionalBoundary() throws {
        var e = makeEngine(wallet: "2000", rules: Sym.rules(tstMinNotional: "1000.00000001"))
        e.handleSignal(signal(Sym.tst, .long, entry: "10.00"), nowNs: 0)
        let d = onlyDenial(e)
        #expect(d?.reason == .belowMinNotional)
        #expect(d?.requestedQuantity == qty("100", Sym.tst))
        #expect(d?.limitValue == money("1000.00000001").raw)
        var ok = makeEngine(wallet: "2000", rules: Sym.rules(tstMinNotional: "1000"))
        ok.handleSignal(signal(Sym.tst, .long, entry: "10.00"), nowNs: 0)
        #expect(ok.outbox.intents.first?.quantity == qty("100", Sym.tst))
    }

    @Test func sizeRoundingToZeroIsBelowMinNotional() throws {
        // Equity 100, risk 1 % = 1 USDT over a 865.00 stop: 0.001156 BTC rounds down to 0.001 (43.25 < 100);
        // with equity 40 it is 0.000462 → 0.
        var e = makeEngine(wallet: "100")
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .belowMinNotional)
        #expect(onlyDenial(e)?.requestedQuantity == qty("0.001", Sym.btc))
        var z = makeEngine(wallet: "40")
        z.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        #expect(onlyDenial(z)?.requestedQuantity == .zero)
        #expect(onlyDenial(z)?.reason == .belowMinNotional)
    }

    @Test func maxPositionBoundaries() throws {
        let cases: [(String?, String?, Bool)] = [("99", nil, true), ("100", nil, false), (nil, "999.99", true), (nil, "1000", false)]
        for (maxQ, maxN, denied) in cases {
            var e = makeEngine(wallet: "2000", rules: Sym.rules(tstMaxQuantity: maxQ, tstMaxNotional: maxN))
            e.handleSignal(signal(Sym.tst, .long, entry: "10.00"), nowNs: 0)
            if denied {
                #expect(onlyDenial(e)?.reason == .aboveMaxPosition, "max \(maxQ ?? maxN!)")
            } else {
                #expect(e.outbox.intents.count == 1, "max \(maxQ ?? maxN!)")
            }
        }
    }

    /// tst-margin-lev10 / -lev20: stop 9.99 → quantity 2 000, notional 20 000; required 2 008 at
    /// 10x (> 2 000 available) and 1 008 at 20x.
    @Test func insufficientMarginIncludesTheFee() throws {
        var e = makeEngine([AccountSettings(id: acct0, leverage: 10)], wallet: "2000")
        e.handleSignal(signal(Sym.tst, .long, entry: "10.00", stopLoss: "9.99"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .insufficientMargin)
        #expect(onlyDenial(e)?.limitValue == money("2000").raw)
        #expect(onlyDenial(e)?.requestedQuantity == qty("2000", Sym.tst))
        var ok = makeEngine([AccountSettings(id: acct0, leverage: 20)], wallet: "2000")
        ok.handleSignal(signal(Sym.tst, .long, entry: "10.00", stopLoss: "9.99"), nowNs: 0)
        #expect(ok.outbox.intents.count == 1)
        #expect(ok.snapshot(acct0).availableMargin == money("992"))  // 2 000 − 1 008 reserved in flight
    }

    @Test func reservedMarginOfEntriesInFlightCounts() throws {
        // Two entries at 20x each reserving 1 008 of 2 000: the second one no longer fits.
        var e = makeEngine([AccountSettings(id: acct0, leverage: 20)], wallet: "2000")
        e.handleSignal(signal(Sym.tst, .long, entry: "10.00", stopLoss: "9.99"), nowNs: 0)
        e.handleSignal(signal(Sym.eth, .long, entry: "2000.00", stopLoss: "1999.00"), nowNs: 0)
        // eth: risk 20 over 1.00 → 20 ETH, notional 40 000: 2 000 + 16 needed, 992 available.
        #expect(onlyDenial(e)?.reason == .insufficientMargin)
        #expect(onlyDenial(e)?.limitValue == money("992").raw)
    }

    @Test func everyReasonIsCountedOnceAndChecksRunInTheIssuesOrder() throws {
        // A signal failing confidence, max positions and the switches is denied for confidence
        // (checked first), then for max positions once confidence passes, and so on.
        var e = makeEngine([AccountSettings(id: acct0, maxOpenPositions: 1)])
        e.handleSignal(signal(Sym.eth, .long, entry: "2000.00"), nowNs: 0)
        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 1, enabled: false), nowNs: 0)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00", confidenceBp: 100), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .lowConfidence)
        e.handleSignal(signal(Sym.btc, .long, entry: "43000.00"), nowNs: 0)
        #expect(onlyDenial(e)?.reason == .maxOpenPositions)
        var all = makeEngine()
        var expected: [DenialReason: Int] = [:]
        func deny(_ s: Signal, _ r: DenialReason) {
            all.handleSignal(s, nowNs: 0)
            expected[r, default: 0] += 1
        }
        deny(signal(Sym.btc, .flat, entry: "1.00"), .notDirectional)
        deny(signal(Sym.unconfigured, .long, entry: "1.00"), .symbolNotTradable)
        deny(signal(Sym.btc, .long, entry: "43000.00", confidenceBp: 1), .lowConfidence)
        deny(signal(Sym.btc, .long, entry: "43000.00", riskRewardBp: 1), .riskRewardTooLow)
        deny(signal(Sym.btc, .long, entry: ""), .noMarketPrice)
        deny(signal(Sym.btc, .long, entry: "43000.00", stopLoss: "44000.00"), .invalidStopDistance)
        #expect(all.counters.totalDenials == expected.values.reduce(0, +))
        for (r, n) in expected { #expect(all.counters.denials(r) == n) }
    }
}
