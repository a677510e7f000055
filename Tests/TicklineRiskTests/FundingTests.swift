import Testing
import TicklineCore
@testable import TicklineRisk

/// funding (scripts/risk_reference.py): 0.100 BTC at mark 40 000.00, |rate| 0.0001 → fee 0.40;
/// longs pay a positive rate and receive a negative one, shorts the opposite.
@Suite struct FundingTests {
    @Test(arguments: [
        (Side.buy, Int64(10_000), "-0.40"), (Side.buy, Int64(-10_000), "0.40"),
        (Side.sell, Int64(10_000), "0.40"), (Side.sell, Int64(-10_000), "-0.40"),
    ])
    func signOfTheFee(side: Side, rateE8: Int64, income: String) throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.btc, side: side, quantity: qty("0.100", Sym.btc), entryPrice: px("40000.00", Sym.btc),
                        nowNs: 0)
        e.applyFunding(Sym.btc, rateE8: rateE8, markPrice: px("40000.00", Sym.btc), fundingTimeMs: 28_800_000, nowNs: 0)
        let p = try #require(e.position(acct0, Sym.btc))
        #expect(p.accruedFunding == money(income))
        #expect(p.unrealizedPnL == money(income))  // marked at the entry: funding is all of it
        #expect(e.snapshot(acct0).equity == money("10000") + money(income))
        #expect(e.outbox.logs[safe: 0]?.code == .fundingApplied)
        #expect(try #require(e.outbox.logs[safe: 0]).argument(1) == (rateE8, 8))
        #expect(try #require(e.outbox.logs[safe: 0]).argument(2) == (money(income).raw, 8))
        // Realized on close: a close at the entry price books exactly the funding.
        e.handleCommand(Command(kind: .closePosition, issuedNs: 0, requestID: 1, account: acct0, symbol: Sym.btc), nowNs: 0)
        e.handleExecution(fill(try #require(e.outbox.intents[safe: 0]), "0.100", at: "40000.00"), nowNs: 0)
        #expect(e.snapshot(acct0).walletBalance == money("10000") + money(income))
    }

    /// funding-ties: 5.0 and 7.0 XRP at 0.5000 with a rate of 1e-8: fees 2.5e-8 and 3.5e-8 round
    /// half-even (the simulator's rule) to 2e-8 and 4e-8.
    @Test func halfEvenRoundingOfTheFee() throws {
        for (amount, income) in [("5.0", "-0.00000002"), ("7.0", "-0.00000004")] {
            var e = makeEngine()
            e.adoptPosition(acct0, Sym.xrp, side: .buy, quantity: qty(amount, Sym.xrp), entryPrice: px("0.5000", Sym.xrp),
                            nowNs: 0)
            e.applyFunding(Sym.xrp, rateE8: 1, markPrice: px("0.5000", Sym.xrp), fundingTimeMs: 1, nowNs: 0)
            #expect(e.position(acct0, Sym.xrp)?.accruedFunding == money(income), "\(amount)")
        }
    }

    /// The funding time comes from the mark-price stream: the first event at or past the cached
    /// `T` settles at the cached rate and mark (0.100 × 40 100.00 × 0.00012 = 0.4812), once.
    @Test func settlesAtTheStreamsFundingTimeWithTheLastRateAndMark() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.btc, side: .buy, quantity: qty("0.100", Sym.btc), entryPrice: px("40000.00", Sym.btc),
                        nowNs: 0)
        e.handleMarketEvent(markPrice(Sym.btc, "40000.00", rateE8: 10_000, nextFundingMs: 28_800_000, timeMs: 1_000),
                            nowNs: 0)
        e.handleMarketEvent(markPrice(Sym.btc, "40100.00", rateE8: 12_000, nextFundingMs: 28_800_000,
                                      timeMs: 28_799_000), nowNs: 0)
        #expect(e.position(acct0, Sym.btc)?.accruedFunding == .zero)
        e.handleMarketEvent(markPrice(Sym.btc, "40200.00", rateE8: 5_000, nextFundingMs: 57_600_000,
                                      timeMs: 28_800_500), nowNs: 0)
        var p = try #require(e.position(acct0, Sym.btc))
        #expect(p.accruedFunding == money("-0.4812"))
        // Marked to 40 200.00 (the account marks by last trade; with no trade yet the mark stands in).
        #expect(p.unrealizedPnL == money("19.5188"))  // 20.00 − 0.4812
        e.handleMarketEvent(markPrice(Sym.btc, "40200.00", rateE8: 5_000, nextFundingMs: 57_600_000,
                                      timeMs: 28_801_000), nowNs: 0)
        p = try #require(e.position(acct0, Sym.btc))
        #expect(p.accruedFunding == money("-0.4812"))
        #expect(e.counters.fundingApplications == 1)
    }

    @Test func theVenuesFundingFeeIsTheFinalWord() throws {
        var e = makeEngine()
        e.adoptPosition(acct0, Sym.btc, side: .buy, quantity: qty("0.100", Sym.btc), entryPrice: px("40000.00", Sym.btc),
                        nowNs: 0)
        e.applyFunding(Sym.btc, rateE8: 10_000, markPrice: px("40000.00", Sym.btc), fundingTimeMs: 1, nowNs: 0)
        e.reconcileFunding(acct0, Sym.btc, venueIncome: money("-0.41"), nowNs: 0)
        #expect(e.position(acct0, Sym.btc)?.accruedFunding == money("-0.41"))
        #expect(e.counters.fundingCorrections == 1)
        #expect(e.outbox.logs[safe: 0]?.code == .fundingCorrected)
        e.reconcileFunding(acct0, Sym.btc, venueIncome: money("-0.41"), nowNs: 0)  // a repeat is a new settlement
        #expect(e.position(acct0, Sym.btc)?.accruedFunding == money("-0.82"))

        // The venue's report first: booked, and the stream's settlement of that time skips it.
        var v = makeEngine()
        v.adoptPosition(acct0, Sym.btc, side: .sell, quantity: qty("0.100", Sym.btc), entryPrice: px("40000.00", Sym.btc),
                        nowNs: 0)
        v.handleMarketEvent(markPrice(Sym.btc, "40000.00", rateE8: 10_000, nextFundingMs: 28_800_000, timeMs: 1_000),
                            nowNs: 0)
        v.reconcileFunding(acct0, Sym.btc, venueIncome: money("0.40"), nowNs: 0)
        v.handleMarketEvent(markPrice(Sym.btc, "40000.00", rateE8: 10_000, nextFundingMs: 57_600_000,
                                      timeMs: 28_800_000), nowNs: 0)
        #expect(v.position(acct0, Sym.btc)?.accruedFunding == money("0.40"))
        #expect(v.counters.fundingCorrections == 0 && v.counters.fundingApplications == 1)
    }
}
