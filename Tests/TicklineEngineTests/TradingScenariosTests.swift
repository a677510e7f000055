import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineRisk

/// The harder trading paths against the simulator process (manual clock): margin call, funding,
/// partial fills, a lost user-data stream, and a restart with an open position.
@Suite(.serialized) struct TradingScenariosTests {
    /// Moves the simulator's last trade to `price` (text at the symbol's scale) and waits until
    /// risk has seen it.
    func move(_ h: TradingHarness, _ sim: SimulatorProcess, _ name: String, to price: Price) throws {
        let text = price.description(scale: h.venue.symbols[h.symbol(name)].priceScale)
        _ = try sim.request("POST", "/sim/price?symbol=\(name)&price=\(text)")
        #expect(try h.waitForPrice(name, price), "\(name) at \(text) reached risk")
    }

    /// `entry × (10 000 − bp) ÷ 10 000`, down to the symbol's tick (the venue trades on it).
    func below(_ h: TradingHarness, _ name: String, _ p: Price, bp: Int64) -> Price {
        let tick = h.venue.rules[h.symbol(name).index].tickSize.raw
        return Price(raw: p.raw * (10_000 - bp) / 10_000 / tick * tick)
    }

    /// Three longs sized so that the account runs at ~133 % margin level (leverage 20, 100 % of
    /// equity at risk over a 20 % stop: each position ≈ 5 × equity E in notional). Prices then
    /// fall one symbol at a time: SOL −1 % (level = 0.95E ÷ 0.7475E ≈ 127 %), ETH −1.5 %
    /// (0.875E ÷ 0.74375E ≈ 118 %), BTC −4 % (0.675E ÷ 0.73375E ≈ 92 %, below 110 %). Risk
    /// closes the worst position — BTC, the largest loss in USDT — with reason MarginCall,
    /// publishes a `margin_call_closure` and logs "Emergency closure - Margin call"; with BTC
    /// counted closed at its mark the level is 0.675E ÷ 0.49375E ≈ 137 % ≥ 120 %, so ETH and SOL
    /// stay. (Fees move these by a few tenths of a percent.)
    @Test func marginCallClosesTheWorstPositionFirstUntilTheLevelIsRestored() throws {
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("sim-\(getpid())-mc.toml")
        // A 1 000 USDT demo wallet keeps each entry (≈ 5 × equity) within the simulator's book depth,
        // so every market entry fills in full.
        try """
            symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
            [[account]]
            name = "demo"
            api_key = "demo-key"
            secret = "demo-secret"
            usdt_balance = "1000"
            """.write(to: config, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: config) }
        let sim = try SimulatorProcess(seed: 21, arguments: ["--manual-clock", "--config", config.path])
        let names = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
        let h = try TradingHarness(sim: sim, symbols: names) { c in
            c.accounts[0].leverage = 20
            c.accounts[0].riskPerTradeBp = 10_000
            c.accounts[0].stopLossFallbackBp = 2_000
            c.accounts[0].takeProfitFallbackBp = 3_000
        }
        let probe = try VenueProbe(h.venue)
        #expect(try h.waitUntilConnected())
        for (name, price) in zip(names, ["50000.0", "2000.00", "150.00"]) {
            try move(h, sim, name, to: h.price(name, price))
            h.signal(name, .long)
            #expect(try h.run { h.isFilled(name) }, "\(name) opened")
        }
        let level = try #require(h.risk.engine.snapshot(AccountID(0)).marginLevelCentiPercent)
        #expect(level > 12_500 && level < 14_000, "≈ 133 % after three entries, got \(level)")

        let entries = names.map { h.position($0)!.averageEntryPrice }
        try move(h, sim, "SOLUSDT", to: below(h, "SOLUSDT", entries[2], bp: 100))
        try move(h, sim, "ETHUSDT", to: below(h, "ETHUSDT", entries[1], bp: 150))
        #expect(h.risk.marginCallClosures == 0, "still above 110 %")
        try move(h, sim, "BTCUSDT", to: below(h, "BTCUSDT", entries[0], bp: 400))
        #expect(try h.run { h.position("BTCUSDT") == nil })

        let closures = h.events.compactMap { e -> MarginCallClosure? in
            if case .marginCallClosure(let m) = e.body { return m }
            return nil
        }
        #expect(closures.count == 1)
        #expect(closures.first?.symbol == h.symbol("BTCUSDT"), "the largest loss goes first")
        #expect((closures.first?.marginLevelCentiPercent ?? 0) < 11_000)
        #expect(h.logged(.marginCallClosure).count == 1)
        #expect(h.fills.filter { $0.symbol == h.symbol("BTCUSDT") && $0.side == .sell }.allSatisfy { $0.closeReason == .marginCall })
        #expect(h.position("ETHUSDT") != nil && h.position("SOLUSDT") != nil)
        let after = try #require(h.risk.engine.snapshot(AccountID(0)).marginLevelCentiPercent)
        #expect(after >= 12_000, "restored to ≥ 120 %, got \(after)")
        #expect(try probe.positionAmount(h.symbol("BTCUSDT")) == .zero)
        #expect(try probe.positionAmount(h.symbol("ETHUSDT")) == h.position("ETHUSDT")!.quantity)
    }

    /// Funding at the exchange's funding time with the sign rule: a long pays a positive rate.
    /// The simulator (1-minute steps) is taken to one minute before 08:00 UTC, a long opened,
    /// the rate set to +0.1 %, then the clock moves past 08:00: the mark-price stream's next
    /// funding time passes and risk books fee = quantity × mark × rate as a loss; the venue's
    /// own ledger books the same amount (both half-even at 8 places) and its FUNDING_FEE
    /// ACCOUNT_UPDATE reaches the order stage.
    @Test func fundingIsAppliedAtTheFundingTimeWithTheRightSign() throws {
        let sim = try SimulatorProcess(seed: 22, arguments: ["--manual-clock", "--step-ms", "60000"])
        _ = try sim.request("POST", "/sim/advance?ms=\(8 * 3_600_000 - 120_000)")  // 07:58 UTC
        let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT"]) { c in
            c.accounts[0].stopLossFallbackBp = 5_000  // wide: the walk must not close the position
            c.accounts[0].takeProfitFallbackBp = 9_000
        }
        #expect(try h.waitUntilConnected())
        try move(h, sim, "BTCUSDT", to: h.price("BTCUSDT", "50000.00"))
        h.signal("BTCUSDT", .long)
        #expect(try h.run { h.isFilled("BTCUSDT") })
        _ = try sim.request("POST", "/sim/funding?symbol=BTCUSDT&rate=0.001")
        _ = try sim.request("POST", "/sim/advance?ms=60000")  // 07:59: a mark price with the new rate
        _ = try sim.request("POST", "/sim/advance?ms=120000")  // 08:01: past the funding time
        // Risk settles from the mark-price stream, then the venue's FUNDING_FEE (the final word)
        // reconciles it: applied once, corrected at most once.
        #expect(try h.run { h.risk.engine.counters.fundingApplications == 1 && h.account.fundingFees == 1 })
        try h.run(seconds: 0.2)
        let p = try #require(h.position("BTCUSDT"))
        #expect(p.accruedFunding.raw < 0, "a long pays a positive rate")
        #expect(h.risk.engine.counters.fundingCorrections <= 1)
        // Hand check of the sign and size: fee = quantity × mark × 0.001 ≈ 0.4 BTC × 50 000 × 0.001.
        let expected = Int64(p.quantity.raw) * 5_000_000  // qty raw ÷ 10³ × 50 000 × 10⁻³ USDT, at 8 places
        #expect(abs(-p.accruedFunding.raw - expected) < expected / 50, "within 2 % of the hand estimate (the walk moved the mark)")

        // The venue's ledger: one FUNDING_FEE row for this position.
        let ledger = try sim.request("GET", "/sim/ledger?account=0&symbol=BTCUSDT")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(ledger.utf8)) as? [[String: Any]])
        let funding = rows.filter { ($0["kind"] as? String)?.contains("FUNDING") == true }
        #expect(funding.count == 1)
        let venueAmount = Price(try #require(funding.first?["fundingAmount"] as? String), scale: RiskEngine.moneyScale)
        #expect(venueAmount == p.accruedFunding, "risk \(p.accruedFunding.raw) vs venue \(String(describing: venueAmount?.raw))")
    }

    /// A market entry filled in three slices (each may sweep several book levels): the position
    /// grows fill by fill, each fill reaches risk once, and the total equals the venue's position.
    @Test func partialFillsGrowThePositionFillByFill() throws {
        let sim = try SimulatorProcess(seed: 23, arguments: ["--manual-clock"])
        let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT"])
        let probe = try VenueProbe(h.venue)
        #expect(try h.waitUntilConnected())
        try move(h, sim, "BTCUSDT", to: h.price("BTCUSDT", "50000.00"))
        try sim.fault("partial_fills=3")
        h.signal("BTCUSDT", .long)
        #expect(try h.run { h.isFilled("BTCUSDT") && h.risk.engine.counters.fills >= 3 })
        try h.run(seconds: 0.3)
        let entryFills = h.fills.filter { $0.side == .buy }
        // Three slices, each filling level by level through the simulator's book: at least three.
        #expect(entryFills.count >= 3)
        #expect(h.risk.engine.counters.fills == entryFills.count)
        #expect(entryFills.map(\.cumulativeQuantity) == entryFills.map(\.cumulativeQuantity).sorted())
        let total = entryFills.reduce(Quantity(raw: 0)) { $0 + $1.lastFillQuantity }
        #expect(h.position("BTCUSDT")?.quantity == total)
        #expect(try probe.positionAmount(h.symbol("BTCUSDT")) == total)
        #expect(h.risk.engine.counters.duplicateFills == 0)
    }

    /// The listen key expires and the stream closes; an entry fills while it is down. Nothing
    /// is missed: the order's answer (or the re-sync query after reconnecting with a new key)
    /// books the fill, and the position matches the venue's.
    @Test func listenKeyExpiryIsRecoveredWithNoMissedFill() throws {
        let sim = try SimulatorProcess(seed: 24, arguments: ["--manual-clock"])
        let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT"])
        let probe = try VenueProbe(h.venue)
        #expect(try h.waitUntilConnected())
        try move(h, sim, "BTCUSDT", to: h.price("BTCUSDT", "50000.00"))
        try sim.fault("expire_listen_keys=true")
        #expect(try h.run { !h.account.isStreamOpen })
        h.signal("BTCUSDT", .long)
        #expect(try h.run { h.isFilled("BTCUSDT") })
        #expect(try h.run { h.account.isStreamOpen && h.account.connects == 2 })
        #expect(h.account.keyRenewals == 1)
        #expect(h.account.recoveredFills == 1)
        let venue = try probe.positionAmount(h.symbol("BTCUSDT"))
        #expect(venue.raw > 0 && h.position("BTCUSDT")?.quantity == venue)
        #expect(h.logged(.listenKeyRenewed).count == 1)
    }

    /// A restart with an open position: the second engine's start-up syncs it from positionRisk
    /// (quantity and entry), cancels the first run's protective orders and places its own before
    /// trading, then trades on (a new position in another symbol).
    @Test func restartSyncsOpenPositionsBeforeTradingResumes() throws {
        let sim = try SimulatorProcess(seed: 25, arguments: ["--manual-clock"])
        let probe: VenueProbe
        let btc: SymbolID
        let opened: RiskPosition
        do {
            let first = try TradingHarness(sim: sim, symbols: ["BTCUSDT", "ETHUSDT"])
            probe = try VenueProbe(first.venue)
            btc = first.symbol("BTCUSDT")
            #expect(try first.waitUntilConnected())
            try move(first, sim, "BTCUSDT", to: first.price("BTCUSDT", "50000.00"))
            first.signal("BTCUSDT", .long)
            #expect(try first.run { first.isFilled("BTCUSDT") })
            #expect(try first.run { (try? probe.openAlgoOrders(btc).count) == 2 })
            opened = try #require(first.position("BTCUSDT"))
        }
        let before = try probe.openAlgoOrders(btc).map(\.algoID)

        let second = try TradingHarness(sim: sim, symbols: ["BTCUSDT", "ETHUSDT"])
        #expect(second.risk.adopted == 1)
        let synced = try #require(second.position("BTCUSDT"))
        #expect(synced.side == .buy && synced.quantity == opened.quantity)
        #expect(synced.averageEntryPrice == opened.averageEntryPrice)
        #expect(synced.positionID != 0)
        #expect(try second.waitUntilConnected())
        // The first run's protective orders are gone; the second run's own are in place.
        #expect(try second.run { (try? probe.openAlgoOrders(btc).count) == 2 })
        let after = try probe.openAlgoOrders(btc).map(\.algoID)
        #expect(Set(after).isDisjoint(with: before))
        try move(second, sim, "ETHUSDT", to: second.price("ETHUSDT", "2000.00"))
        second.signal("ETHUSDT", .long)
        #expect(try second.run { second.isFilled("ETHUSDT") })
    }
}
