import Testing
import TicklineCore
@testable import TicklineRisk

@Suite struct SwitchTests {
    let accounts = [AccountSettings(id: acct0), AccountSettings(id: acct1)]

    @Test func globalAndPerAccountSwitchesByCommand() throws {
        var e = makeEngine(accounts)
        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 41, enabled: false), nowNs: 0)
        #expect(e.outbox.switches.first == TradingSwitch(account: acct0, isGlobal: true, enabled: false, requestID: 41))
        #expect(!e.globalTradingEnabled)
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        #expect(e.outbox.denials.map(\.reason) == [.tradingDisabledGlobally, .tradingDisabledGlobally])
        #expect(e.outbox.denials.map(\.account) == [acct0, acct1])

        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 42, enabled: true), nowNs: 0)
        e.handleCommand(Command(kind: .setAccountTrading, issuedNs: 0, requestID: 43, account: acct1, enabled: false),
                        nowNs: 0)
        #expect(e.outbox.switches.first == TradingSwitch(account: acct1, isGlobal: false, enabled: false, requestID: 43))
        #expect(!e.isTradingEnabled(acct1) && e.isTradingEnabled(acct0))
        e.handleSignal(signal(Sym.btc, .long, entry: "43251.30"), nowNs: 0)
        #expect(e.outbox.intents.map(\.account) == [acct0])
        #expect(e.outbox.denials.map(\.reason) == [.tradingDisabledForAccount])
        #expect(e.outbox.denials.map(\.account) == [acct1])

        e.handleCommand(Command(kind: .setAccountTrading, issuedNs: 0, requestID: 44, account: acct1, enabled: true),
                        nowNs: 0)
        e.handleSignal(signal(Sym.eth, .long, entry: "2000.00"), nowNs: 0)
        #expect(e.outbox.intents.map(\.account) == [acct0, acct1])
        #expect(e.outbox.intents[safe: 0]?.clientOrderID != e.outbox.intents[safe: 1]?.clientOrderID)

        e.handleCommand(Command(kind: .setAccountTrading, issuedNs: 0, requestID: 45, account: AccountID(9), enabled: true),
                        nowNs: 0)
        #expect(e.counters.commandsIgnored == 1 && e.outbox.switches.isEmpty)
    }

    @Test func switchedOffStillProtectsOpenPositions() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.tst, side: .buy, quantity: qty("100", Sym.tst), entryPrice: px("100.00", Sym.tst),
                        nowNs: 0)
        e.handleCommand(Command(kind: .setGlobalTrading, issuedNs: 0, requestID: 1, enabled: false), nowNs: 0)
        e.handleMarketEvent(trade(Sym.tst, "103.00"), nowNs: 0)
        #expect(e.outbox.intents.first?.closeReason == .takeProfit)
    }

    @Test func closeAllPositionsOfAnAccount() throws {
        var e = makeEngine(accounts)
        for s in [Sym.btc, Sym.tst] {
            e.adoptPosition(acct0, s, side: .buy, quantity: Quantity(raw: 1000), entryPrice: px("100.00", s), nowNs: 0)
        }
        e.adoptPosition(acct1, Sym.tst, side: .buy, quantity: Quantity(raw: 1), entryPrice: px("100.00", Sym.tst), nowNs: 0)
        e.handleCommand(Command(kind: .closeAllPositions, issuedNs: 3, requestID: 1, account: acct0), nowNs: 0)
        #expect(e.outbox.intents.map(\.symbol) == [Sym.btc, Sym.tst])
        #expect(e.outbox.intents.allSatisfy { $0.closeReason == .manual && $0.reduceOnly && $0.account == acct0 })
        #expect(e.position(acct1, Sym.tst)?.phase == .open)
    }
}
