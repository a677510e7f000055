import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineRisk

/// Signal → filled position → exchange-side protection → close, end to end against the
/// simulator process on its manual clock (prices move only through `POST /sim/price`). Every
/// check that matters is made twice: in the engine (risk's book) and at the venue (positionRisk,
/// openAlgoOrders), which keeps its own independent ledger.
@Suite(.serialized) struct TradingOnSimulatorTests {
    /// A Long signal becomes a market entry, filled, with a STOP_MARKET and a TAKE_PROFIT_MARKET
    /// on the exchange at risk's levels (2 % / 3 % fallbacks from the entry, on the tick grid).
    /// Moving the price through the stop closes the position with close reason StopLoss, and
    /// afterwards no protective order is left at the venue.
    @Test func signalBecomesAProtectedPositionAndTheStopLossClosesIt() throws {
        let sim = try SimulatorProcess(seed: 11, arguments: ["--manual-clock"])
        let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT"])
        let probe = try VenueProbe(h.venue)
        let btc = h.symbol("BTCUSDT")
        #expect(try h.waitUntilConnected())
        _ = try sim.request("POST", "/sim/price?symbol=BTCUSDT&price=50000.00")
        #expect(try h.waitForPrice("BTCUSDT", h.price("BTCUSDT", "50000.0")))

        h.signal("BTCUSDT", .long)
        #expect(try h.run { h.isFilled("BTCUSDT") && h.gateway.accounts[0].isStreamOpen })
        #expect(try h.run { (try? probe.openAlgoOrders(btc).count) == 2 })
        let p = try #require(h.position("BTCUSDT"))
        // Hand-worked: equity 10 000 USDT, 1 % risk = 100 USDT; entry ≈ 50 000 (the simulator's
        // book around the last trade), stop 2 % below → distance ≈ 1 000 → 0.1 BTC (step 0.001).
        #expect(p.side == .buy && p.quantity.raw >= 95 && p.quantity.raw <= 105)
        #expect(try probe.positionAmount(btc) == p.quantity)
        let algos = try probe.openAlgoOrders(btc)
        #expect(Set(algos.map(\.type)) == [.stopMarket, .takeProfitMarket])
        #expect(algos.first { $0.type == .stopMarket }?.triggerPrice == p.stopLoss)
        #expect(algos.first { $0.type == .takeProfitMarket }?.triggerPrice == p.takeProfit)
        #expect(algos.allSatisfy { $0.side == .sell })

        // Through the stop: the venue's STOP_MARKET and risk's own check race; either way the
        // position closes as StopLoss and nothing protective is left behind.
        let below = Price(raw: p.stopLoss.raw - 100)  // 10 USDT under the stop (tick 0.1)
        _ = try sim.request("POST", "/sim/price?symbol=BTCUSDT&price=\(below.description(scale: h.venue.symbols[btc].priceScale))")
        #expect(try h.run { h.position("BTCUSDT") == nil })
        let closes = h.fills.filter { $0.symbol == btc && $0.side == .sell }
        #expect(!closes.isEmpty && closes.allSatisfy { $0.closeReason == .stopLoss })
        #expect(try probe.positionAmount(btc) == .zero)
        #expect(try h.run { (try? probe.openAlgoOrders(btc).isEmpty) == true })
        #expect(h.risk.engine.counters.stopLossCloses + h.risk.engine.counters.venueCloseFills >= 1)
    }

    /// Take-profit: a Short, the price falls through its target, the close carries TakeProfit;
    /// the stop-loss left at the venue is canceled.
    @Test func takeProfitClosesAShortAndCancelsTheStop() throws {
        let sim = try SimulatorProcess(seed: 12, arguments: ["--manual-clock"])
        let h = try TradingHarness(sim: sim, symbols: ["ETHUSDT"])
        let probe = try VenueProbe(h.venue)
        let eth = h.symbol("ETHUSDT")
        #expect(try h.waitUntilConnected())
        _ = try sim.request("POST", "/sim/price?symbol=ETHUSDT&price=2000.00")
        #expect(try h.waitForPrice("ETHUSDT", h.price("ETHUSDT", "2000.00")))
        h.signal("ETHUSDT", .short)
        #expect(try h.run { h.isFilled("ETHUSDT") })
        #expect(try h.run { (try? probe.openAlgoOrders(eth).count) == 2 })
        let p = try #require(h.position("ETHUSDT"))
        #expect(p.side == .sell && p.takeProfit < p.averageEntryPrice)
        let through = Price(raw: p.takeProfit.raw - 500)  // 5 USDT under the target
        _ = try sim.request("POST", "/sim/price?symbol=ETHUSDT&price=\(through.description(scale: h.venue.symbols[eth].priceScale))")
        #expect(try h.run { h.position("ETHUSDT") == nil })
        let closes = h.fills.filter { $0.symbol == eth && $0.side == .buy }
        #expect(!closes.isEmpty && closes.allSatisfy { $0.closeReason == .takeProfit })
        #expect(try probe.positionAmount(eth) == .zero)
        #expect(try h.run { (try? probe.openAlgoOrders(eth).isEmpty) == true })
    }

    /// Denials: a signal below the account's minimum confidence (0.70) and, with
    /// `max_open_positions = 1`, a second position; nothing reaches the venue for either.
    @Test func minimumConfidenceAndMaxPositionsAreEnforced() throws {
        let sim = try SimulatorProcess(seed: 13, arguments: ["--manual-clock"])
        let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT", "ETHUSDT"]) { c in
            c.accounts[0].maxOpenPositions = 1
        }
        let probe = try VenueProbe(h.venue)
        #expect(try h.waitUntilConnected())
        _ = try sim.request("POST", "/sim/price?symbol=BTCUSDT&price=50000.00")
        _ = try sim.request("POST", "/sim/price?symbol=ETHUSDT&price=2000.00")
        #expect(try h.waitForPrice("ETHUSDT", h.price("ETHUSDT", "2000.00")))

        h.signal("BTCUSDT", .long, confidenceBp: 6_999)
        #expect(try h.run { h.risk.engine.counters.denials(.lowConfidence) == 1 })
        h.signal("BTCUSDT", .long)
        #expect(try h.run { h.isFilled("BTCUSDT") })
        h.signal("ETHUSDT", .long)
        #expect(try h.run { h.risk.engine.counters.denials(.maxOpenPositions) == 1 })
        try h.run(seconds: 0.3)
        #expect(h.position("ETHUSDT") == nil)
        #expect(try probe.positionAmount(h.symbol("ETHUSDT")) == .zero)
        let denials = h.events.compactMap { e -> OrderDenied? in
            if case .orderDenied(let d) = e.body { return d }
            return nil
        }
        #expect(denials.map(\.reason) == [.lowConfidence, .maxOpenPositions])
    }
}
