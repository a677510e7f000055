import Foundation
import Testing
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineStore
import TicklineTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// The engine trading against the simulator (`TicklineEngineCrashChild`: start-up sync and
/// reconciliation, live parse, risk, the venue gateway and the journal writer on a real LMDB
/// store) killed with SIGKILL, then restarted on the same store. After every restart every fill
/// in the simulator's ledger is in the journal, and the journal's positions match the exchange's.
///
/// The short version (in `make test`) kills at three fixed points, made reachable by holding
/// things back: the venue's user-data stream (the fill exists on the venue only), the journal
/// writer (the engine has the fill, the journal does not), and a journal transaction stopped
/// after part of its records. The long version (`make test-crash`, `TICKLINE_CRASH_LONG=1`) also
/// kills the engine while it trades by itself, at ≥ 20 random moments.
@Suite(.serialized) struct CrashTests {
    static let names = ["BTCUSDT", "ETHUSDT"]

    /// A simulator on its live clock and a store directory, both removed afterwards.
    final class Scenario {
        let sim: SimulatorProcess
        let directory: URL
        let venue: LiveRun.Venue

        init(seed: UInt64) throws {
            sim = try SimulatorProcess(seed: seed)
            directory = FileManager.default.temporaryDirectory
                .appendingPathComponent("tickline-crash-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
            var settings = VenueSettings()
            settings.restURL = VenueURL(secure: false, host: "127.0.0.1", port: sim.port, path: "")
            settings.streamURL = settings.restURL
            settings.symbols = CrashTests.names
            settings.intervals = [.m1]
            venue = try LiveRun.resolve(settings)
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        /// The engine started on the store, once it says it is ready (connected, reconciled, the
        /// adopted positions journaled).
        func start() throws -> LineChildProcess {
            let child = try LineChildProcess(
                executable: "TicklineEngineCrashChild",
                arguments: [String(sim.port), directory.path, CrashTests.names.joined(separator: ",")])
            try child.readLines(until: "ready", timeoutMs: 20_000)
            return child
        }

        func symbol(_ name: String) -> SymbolID { venue.symbols.id(of: name)! }

        /// The venue's fills of account 0 in `name` (`/sim/ledger` TRADE rows): their trade ids.
        func ledgerTradeIDs(_ name: String) throws -> [Int64] {
            let text = try sim.request("GET", "/sim/ledger?account=0&symbol=\(name)")
            let rows = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
            return rows.compactMap { r in
                r["kind"] as? String == "TRADE" ? (r["tradeId"] as? NSNumber)?.int64Value : nil
            }.sorted()
        }

        /// Polls the ledger until `name` has at least `count` fills (at most 10 s).
        func waitForLedgerFills(_ name: String, atLeast count: Int) throws -> Bool {
            for _ in 0..<500 {
                if try ledgerTradeIDs(name).count >= count { return true }
                usleep(20_000)
            }
            return false
        }

        /// Reads the journal (the engine may be running: LMDB readers in another process are fine).
        func withStore<R>(_ body: (TicklineStore) throws -> R) throws -> R {
            try body(try TicklineStore(directory: directory.path, options: .small(mapSizeBytes: 16 << 20)))
        }

        /// The crash test's invariant, at a moment the engine is not trading: for every symbol,
        /// the journal's fills are exactly the venue's (by trade id), their signed sum is the
        /// venue's position, and the journal holds one open trade of that side and quantity
        /// when the venue holds a position, none when it is flat.
        func expectJournalMatchesTheVenue(_ context: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let probe = try VenueProbe(venue)
            try withStore { store in
                let open = try store.openTrades()
                for name in CrashTests.names {
                    let s = symbol(name)
                    let ledger = try ledgerTradeIDs(name)
                    let fills = try store.fills(account: AccountID(0), symbol: s)
                    #expect(fills.map(\.tradeID) == ledger, "\(context): \(name) journal fills = the venue's",
                            sourceLocation: sourceLocation)
                    let net = fills.reduce(Int64(0)) { $0 + ($1.side == .buy ? $1.quantity.raw : -$1.quantity.raw) }
                    let amount = try probe.positionAmount(s).raw
                    #expect(net == amount, "\(context): \(name) journal fills net \(net), venue position \(amount)",
                            sourceLocation: sourceLocation)
                    let trades = open.filter { $0.symbol == s }
                    if amount == 0 {
                        #expect(trades.isEmpty, "\(context): \(name) flat, journal open trades \(trades.map(\.id))",
                                sourceLocation: sourceLocation)
                    } else {
                        #expect(trades.count == 1, "\(context): \(name) one open trade", sourceLocation: sourceLocation)
                        #expect(trades.first?.side == (amount > 0 ? .buy : .sell), "\(context): \(name) side",
                                sourceLocation: sourceLocation)
                        #expect(trades.first?.quantity.raw == abs(amount), "\(context): \(name) quantity",
                                sourceLocation: sourceLocation)
                    }
                }
            }
        }

        /// The journal's fills of account 0 in `name`.
        func journalFills(_ name: String) throws -> [FillRecord] {
            try withStore { store throws in try store.fills(account: AccountID(0), symbol: symbol(name)) }
        }

        func journalOpenTrades() throws -> [TradeRecord] {
            try withStore { store throws in try store.openTrades() }
        }

        /// Waits until the engine has nothing in flight and the journal has it all.
        func settle(_ child: LineChildProcess) throws {
            try child.send("settle")
            try child.readLines(until: "settled", timeoutMs: 10_000)
        }

        /// Stops the engine the graceful way (pending records committed; exit status 0).
        func quit(_ child: LineChildProcess) throws {
            try child.send("quit")
            #expect(child.waitForExit(timeoutMs: 10_000) == 0, "graceful exit")
        }
    }

    /// Killed after the venue filled the entry but before the fill reached the engine (the
    /// venue's user-data stream held back): the journal has at most the order. The restart
    /// backfills the fill from `userTrades` and journals the position it adopts.
    @Test func killedBeforeTheFillArrives() throws {
        let s = try Scenario(seed: 61)
        var child = try s.start()
        try s.sim.fault("hold_user_stream=true")
        try child.send("open BTCUSDT long")
        #expect(try s.waitForLedgerFills("BTCUSDT", atLeast: 1), "the venue filled the entry")
        child.kill()
        #expect(!child.lines.contains { $0.hasPrefix("fill ") }, "the engine never heard of the fill")
        #expect(try s.journalFills("BTCUSDT").isEmpty)
        try s.sim.fault("hold_user_stream=false")

        child = try s.start()
        try s.expectJournalMatchesTheVenue("after the restart")
        #expect(try s.journalOpenTrades().count == 1, "the adopted long")
        try s.quit(child)
    }

    /// Killed after the engine booked the fill but before the journal committed it (the writer
    /// held back). The restart backfills it.
    @Test func killedBeforeTheFillIsCommitted() throws {
        let s = try Scenario(seed: 62)
        var child = try s.start()
        try child.send("hold-journal")
        try child.send("open ETHUSDT short")
        try child.readLines(timeoutMs: 10_000) { $0.hasPrefix("fill ETHUSDT ") }
        child.kill()
        #expect(try s.journalFills("ETHUSDT").isEmpty)

        child = try s.start()
        try s.expectJournalMatchesTheVenue("after the restart")
        // Trading goes on from the recovered state: the short closes, and the journal follows.
        try child.send("close ETHUSDT")
        #expect(try s.waitForLedgerFills("ETHUSDT", atLeast: 2))
        try s.settle(child)
        try s.quit(child)
        try s.expectJournalMatchesTheVenue("after the close")
        let trades = try s.withStore { store throws in try store.trades() }
        #expect(trades.count == 1 && trades.first?.status == .closed, "the adopted short, closed")
    }

    /// Killed with a journal transaction half written: an entry in three partial fills, its
    /// records held back, then released into a transaction that stops after its third record.
    /// Nothing of it is visible after the kill (LMDB commits whole transactions); the restart
    /// backfills all three fills.
    @Test func killedInTheMiddleOfABatch() throws {
        let s = try Scenario(seed: 63)
        try s.sim.fault("partial_fills=3")
        var child = try s.start()
        try child.send("hold-journal")
        try child.send("open BTCUSDT long")
        var fills = 0
        try child.readLines(timeoutMs: 10_000) { line in
            if line.hasPrefix("fill BTCUSDT ") { fills += 1 }
            return fills == 3
        }
        try child.send("stop-mid-batch 2")
        try child.send("release-journal")
        try child.readLines(until: "mid-batch", timeoutMs: 10_000)
        child.kill()
        #expect(try s.journalFills("BTCUSDT").isEmpty, "no part of the batch")
        #expect(try s.journalOpenTrades().isEmpty)

        child = try s.start()
        try s.expectJournalMatchesTheVenue("after the restart")
        #expect(try s.journalFills("BTCUSDT").count >= 3, "three slices, each one fill or more")
        try s.quit(child)
    }

    /// The long version: the engine trades two symbols by itself (an entry or a close every
    /// 120 ms, entries in two partial fills) and is killed at random moments; after each restart
    /// the journal matches the venue.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["TICKLINE_CRASH_LONG"] == "1"))
    func killedAtRandomMoments() throws {
        let kills = Int(ProcessInfo.processInfo.environment["TICKLINE_CRASH_KILLS"] ?? "") ?? 20
        let s = try Scenario(seed: 64)
        try s.sim.fault("partial_fills=2")
        var moments: [UInt32] = []
        for round in 0..<kills {
            let child = try s.start()
            try s.expectJournalMatchesTheVenue("restart \(round) (kills after \(moments) ms)")
            try child.send("auto 120")
            let ms = UInt32.random(in: 50...2_500)
            moments.append(ms)
            usleep(ms * 1_000)
            child.kill()
        }
        let child = try s.start()
        try s.expectJournalMatchesTheVenue("final restart (kills after \(moments) ms)")
        try s.quit(child)
        let total = try s.ledgerTradeIDs("BTCUSDT").count + s.ledgerTradeIDs("ETHUSDT").count
        #expect(total >= kills, "the engine traded between the kills: \(total) fills")
        print("crash test: \(kills) kills at \(moments) ms, \(total) venue fills, journal matched after each restart")
    }
}
