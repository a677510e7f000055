import Foundation
import Logging
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
@testable import TicklineExecution
import TicklineRisk
import TicklineStore

/// Start-up reconciliation of the journal with the venue (`StartupReconciliation`, run by
/// `LiveRun.prepareTrading` when a store is given): against the simulator process on its manual
/// clock, with a store in a temp directory. The harness runs no journal writer, so the journal
/// holds only what a test writes into it — the state a crash (or a writer that never committed)
/// leaves behind. Ground truth is the venue's (`/sim/ledger`, `userTrades`).
@Suite(.serialized) struct ReconciliationTests {
    /// A fresh store under the temp directory, removed afterwards.
    func withStore<R>(_ body: (TicklineStore) throws -> R) throws -> R {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("tickline-recon-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? FileManager.default.removeItem(at: dir) }
        return try body(try TicklineStore(directory: dir.path, options: .small(mapSizeBytes: 4 << 20)))
    }

    /// Moves the simulator's last trade to `price` and waits until risk has seen it.
    func move(_ h: TradingHarness, _ sim: SimulatorProcess, _ name: String, to price: Price) throws {
        let text = price.description(scale: h.venue.symbols[h.symbol(name)].priceScale)
        _ = try sim.request("POST", "/sim/price?symbol=\(name)&price=\(text)")
        #expect(try h.waitForPrice(name, price), "\(name) at \(text) reached risk")
    }

    /// The venue's own record of account 0's fills of `symbol` (`/sim/ledger`, TRADE rows):
    /// trade id, order id, side.
    func ledgerFills(_ sim: SimulatorProcess, _ symbol: String) throws -> [(tradeID: Int64, orderID: Int64, side: String)] {
        let text = try sim.request("GET", "/sim/ledger?account=0&symbol=\(symbol)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
        return rows.compactMap { r in
            guard r["kind"] as? String == "TRADE", let id = (r["tradeId"] as? NSNumber)?.int64Value,
                  let order = (r["orderId"] as? NSNumber)?.int64Value, let side = r["side"] as? String
            else { return nil }
            return (id, order, side)
        }
    }

    /// Opens a long in each of `names` through the engine (no store: the journal hears nothing)
    /// and returns the venue and the positions as risk booked them.
    func openLongs(_ sim: SimulatorProcess, _ names: [String], at prices: [String]) throws
        -> (venue: LiveRun.Venue, positions: [RiskPosition])
    {
        let h = try TradingHarness(sim: sim, symbols: names)
        #expect(try h.waitUntilConnected())
        var positions: [RiskPosition] = []
        for (name, price) in zip(names, prices) {
            try move(h, sim, name, to: h.price(name, price))
            h.signal(name, .long)
            #expect(try h.run { h.isFilled(name) })
        }
        try h.run(seconds: 0.3)  // the last slices of the entries
        for name in names { positions.append(try #require(h.position(name))) }
        return (h.venue, positions)
    }

    /// The engine opened a position but the journal writer never committed its fills (only the
    /// first made it). The next start-up reads `userTrades` from the last journaled fill and
    /// inserts the others under the venue's trade ids; the journal's own row is kept. Run again,
    /// it inserts nothing.
    @Test func fillsTheVenueHasAndTheJournalLacksAreBackfilled() throws {
        let sim = try SimulatorProcess(seed: 51, arguments: ["--manual-clock"])
        try sim.fault("partial_fills=3")
        let (venue, positions) = try openLongs(sim, ["BTCUSDT"], at: ["50000.00"])
        let btc = try #require(venue.symbols.id(of: "BTCUSDT"))
        let ledger = try ledgerFills(sim, "BTCUSDT")
        #expect(ledger.count >= 3, "three slices, each one fill or more")
        let venueRows = try VenueProbe(venue).userTrades(btc)
        #expect(venueRows.map(\.tradeID) == ledger.map(\.tradeID).sorted())

        try withStore { store in
            // What the writer committed before it stopped: the first fill, with its client order id.
            let first = try #require(venueRows.first)
            let journaled = FillRecord(account: AccountID(0), symbol: btc, tradeID: first.tradeID, side: first.side,
                                       eventTimeMs: first.timeMs, clientOrderID: 4242, venueOrderID: first.orderID,
                                       quantity: first.quantity, price: first.price, commission: first.commission)
            try store.applyReconciliation(ReconciliationWrite(fills: [journaled]))

            do {
                let h = try TradingHarness(sim: sim, symbols: ["BTCUSDT"], store: store)
                let report = try #require(h.reconciliation)
                #expect(report.backfilled == ledger.count - 1)
                #expect(report.unknown == 1, "no journaled trade for the position: the writer gives it a new id")
                #expect(report.kept == 0 && report.closed == 0 && report.fetchFailures == 0)
                #expect(h.risk.adopted == 1 && h.position("BTCUSDT")?.quantity == positions[0].quantity)
            }
            let fills = try store.fills(account: AccountID(0), symbol: btc)
            #expect(fills.map(\.tradeID) == ledger.map(\.tradeID).sorted(), "every venue trade id, once")
            #expect(fills.first?.clientOrderID == 4242, "the journal's own row is kept")
            for (f, r) in zip(fills, venueRows).dropFirst() {
                #expect(f.venueOrderID == r.orderID && f.side == .buy && f.price == r.price && f.quantity == r.quantity)
                #expect(f.commission == r.commission && f.eventTimeMs == r.timeMs && f.clientOrderID == 0)
            }
            #expect(fills.reduce(0) { $0 + $1.quantity.raw } == positions[0].quantity.raw)

            let again = try #require(try TradingHarness(sim: sim, symbols: ["BTCUSDT"], store: store).reconciliation)
            #expect(again.backfilled == 0 && again.unknown == 1)
            #expect(try store.fills(account: AccountID(0), symbol: btc).count == ledger.count)
        }
    }

    /// The journal holds three open trades: an ETH long the venue still holds (kept, same id),
    /// a BTC long closed on the venue while the engine was down (closed as Reconciled at its
    /// closing fills' average, with the venue's realized PnL net of fees), and a BTC long entered
    /// after every fill (closed at the last fill's price, PnL 0). Trading starts after.
    @Test func journalPositionsTheExchangeNoLongerHasAreClosedAsReconciled() throws {
        let sim = try SimulatorProcess(seed: 52, arguments: ["--manual-clock"])
        let names = ["BTCUSDT", "ETHUSDT"]
        let (venue, positions) = try openLongs(sim, names, at: ["50000.00", "2000.00"])
        let btc = try #require(venue.symbols.id(of: "BTCUSDT")), eth = try #require(venue.symbols.id(of: "ETHUSDT"))
        let probe = try VenueProbe(venue)
        // The BTC position closes behind the engine's back.
        let close = try probe.marketOrder(btc, .sell, positions[0].quantity, reduceOnly: true)
        #expect(close.status == .filled)
        #expect(try probe.positionAmount(btc) == .zero)
        let btcRows = try probe.userTrades(btc), ethRows = try probe.userTrades(eth)
        #expect(btcRows.map(\.tradeID) == (try ledgerFills(sim, "BTCUSDT")).map(\.tradeID).sorted())

        try withStore { store in
            let btcEntryMs = try #require(btcRows.first?.timeMs), ethEntryMs = try #require(ethRows.first?.timeMs)
            let entryFees = Price(raw: 123)
            let btcTrade = TradeRecord(id: TradeID(high: UInt64(btcEntryMs), low: 1), account: AccountID(0), symbol: btc,
                                       side: .buy, entryTimeMs: btcEntryMs, quantity: positions[0].quantity,
                                       entryPrice: positions[0].averageEntryPrice, fees: entryFees, entryClientOrderID: 7)
            let ethTrade = TradeRecord(id: TradeID(high: UInt64(ethEntryMs), low: 2), account: AccountID(0), symbol: eth,
                                       side: .buy, entryTimeMs: ethEntryMs, quantity: positions[1].quantity,
                                       entryPrice: positions[1].averageEntryPrice, entryClientOrderID: 8)
            let lateMs = (btcRows.map(\.timeMs).max() ?? btcEntryMs) + 1_000
            let late = TradeRecord(id: TradeID(high: UInt64(lateMs), low: 3), account: AccountID(0), symbol: btc,
                                   side: .buy, entryTimeMs: lateMs, quantity: positions[0].quantity,
                                   entryPrice: btcTrade.entryPrice, entryClientOrderID: 9)
            for t in [btcTrade, ethTrade, late] { try store.openTrade(t) }

            let log = LogLines()
            let h = try TradingHarness(sim: sim, symbols: names, store: store, logger: log.logger)
            let report = try #require(h.reconciliation)
            #expect(log.messages.contains(report.description), "the report is logged")
            #expect(log.messages.filter { $0.contains("closed as Reconciled at") }.count == 2)
            #expect(report.kept == 1 && report.keptTrades == [ethTrade.id])
            #expect(report.closed == 2 && Set(report.closedTrades) == [btcTrade.id, late.id])
            #expect(report.unknown == 0)
            #expect(report.backfilled == btcRows.count + ethRows.count, "the journal had no fill")
            #expect(report.description == "Reconciliation: 1 positions kept, 2 journal positions closed as Reconciled, "
                + "\(btcRows.count + ethRows.count) fills backfilled, 0 exchange positions without a journal trade (new ids)")
            #expect(try store.openTrades().map(\.id) == [ethTrade.id], "the kept trade stays open under its id")

            let sells = btcRows.filter { $0.side == .sell }
            #expect(sells.reduce(0) { $0 + $1.quantity.raw } == positions[0].quantity.raw)
            let closed = try #require(try store.trade(btcTrade.id))
            #expect(closed.status == .closed && closed.closeReason == .reconciled)
            let notional = sells.reduce(0.0) { $0 + Double($1.price.raw) * Double($1.quantity.raw) }
            let average = notional / Double(positions[0].quantity.raw)
            #expect(abs(Double(closed.exitPrice.raw) - average) <= 0.5, "volume-weighted average of the closing fills")
            #expect(closed.exitTimeMs == sells.map(\.timeMs).max())
            let commissions = sells.reduce(0) { $0 + $1.commission.raw }
            #expect(closed.fees == Price(raw: entryFees.raw + commissions))
            #expect(closed.realizedPnL == Price(raw: sells.reduce(0) { $0 + $1.realizedPnL.raw } - commissions - entryFees.raw))

            let lateClosed = try #require(try store.trade(late.id))
            #expect(lateClosed.status == .closed && lateClosed.closeReason == .reconciled)
            #expect(lateClosed.exitPrice == btcRows.last?.price, "no closing fill: the last fill's price")
            #expect(lateClosed.realizedPnL == .zero && lateClosed.fees == .zero && lateClosed.exitTimeMs == lateMs)

            // Trading starts after: ETH is adopted (the writer resumes its trade), BTC is flat.
            #expect(h.risk.adopted == 1 && h.position("ETHUSDT")?.quantity == positions[1].quantity)
            #expect(h.position("BTCUSDT") == nil)
        }
    }

    /// The decision without a venue: the latest of two open trades of a held (account, symbol,
    /// side) is kept and the older one closed (at its entry price: no fill at all); a trade of an
    /// account this run does not trade is left open; a position of the other side is unknown.
    @Test func reconcileKeepsTheLatestMatchAndLeavesOtherAccountsAlone() throws {
        let symbols = try SymbolTable([
            .init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
            .init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)),
        ])
        try withStore { store in
            func trade(_ low: UInt64, account: UInt16 = 0, symbol: UInt16 = 0, entryMs: Int64) -> TradeRecord {
                TradeRecord(id: TradeID(high: UInt64(entryMs), low: low), account: AccountID(account),
                            symbol: SymbolID(symbol), side: .buy, entryTimeMs: entryMs, quantity: Quantity(raw: 10),
                            entryPrice: Price(raw: 5_000_000), fees: Price(raw: 3))
            }
            let older = trade(1, entryMs: 1_000), newer = trade(2, entryMs: 2_000), other = trade(3, account: 1, entryMs: 500)
            for t in [older, newer, other] { try store.openTrade(t) }
            func position(_ symbol: UInt16, _ amount: Int64) -> PositionRisk {
                PositionRisk(symbol: SymbolID(symbol), amount: Quantity(raw: amount), entryPrice: Price(raw: 5_000_000),
                             markPrice: .zero, unrealizedProfit: .zero, leverage: 10, isolated: false, updateTimeMs: 0)
            }
            let state = StartupReconciliation.AccountState(account: AccountID(0), positions: [position(0, 10), position(1, -5)],
                                                           nowMs: 3_000)
            let report = try StartupReconciliation.reconcile(store: store, symbols: symbols, accounts: [state],
                                                             logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
            #expect(report.kept == 1 && report.keptTrades == [newer.id])
            #expect(report.closed == 1 && report.closedTrades == [older.id])
            #expect(report.unknown == 1 && report.untouched == 1 && report.backfilled == 0)
            let closed = try #require(try store.trade(older.id))
            #expect(closed.closeReason == .reconciled && closed.exitPrice == older.entryPrice)
            #expect(closed.exitTimeMs == 3_000 && closed.realizedPnL == .zero && closed.fees == older.fees)
            #expect(try store.openTrades().map(\.id) == [other.id, newer.id])
        }
    }
}

/// A logger whose messages the test reads back.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []

    var logger: Logger {
        Logger(label: "test") { label in
            JSONLinesLogHandler(label: label) { [self] line in lock.withLock { lines.append(line) } }
        }
    }

    /// Each record's message (the `message` member of its JSON line).
    var messages: [String] {
        lock.withLock { lines }.compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])?["message"] as? String
        }
    }
}
