// The engine's trading half as a child process for the crash tests (`CrashTests`): start-up sync
// and reconciliation against a journal (`LiveRun.prepareTrading`), the live parse stage on the
// simulator's streams, the real risk stage, the order stage on the venue gateway, and the journal
// writer on a real LMDB store — all on this one thread, in duty cycles. The test plays the signal
// stage through stdin and kills this process with SIGKILL at the moments it wants.
//
// Usage: TicklineEngineCrashChild PORT STORE_DIR SYMBOL[,SYMBOL…]
//
// stdin, one command per line:
//   open SYMBOL long|short   a signal (risk sizes it with the account's fallback stop and target)
//   close SYMBOL             a manual close (the control plane's command)
//   hold-journal             the writer stops draining (records wait in the journal rings)
//   release-journal          the writer drains again
//   stop-mid-batch N         the next journal transaction stops after its record N (0-based) is
//                            applied, uncommitted: prints "mid-batch" and waits to be killed
//   settle                   prints "settled" once every order is done (each position open with its
//                            entry complete, or gone) and the journal has committed everything
//   auto MS                  trades by itself: every MS ms the next symbol is opened (alternating
//                            long and short) when flat and closed when its entry is complete
//   quit                     commits what is pending and exits 0
// stdout, one event per line:
//   ready                    connected, every symbol priced, reconciled, adopted positions journaled
//   fill SYMBOL TRADEID      a fill the order stage reported
//   mid-batch                see stop-mid-batch
//   settled                  see settle
import Foundation
import Logging
import Synchronization
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineIO
import TicklineRisk
import TicklineStore

#if canImport(Glibc)
import Glibc
#endif

func say(_ line: String) {
    var text = line + "\n"
    text.withUTF8 { b in _ = write(1, b.baseAddress, b.count) }
}

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("crash child: \(message)\n".utf8))
    exit(2)
}

let arguments = CommandLine.arguments
guard arguments.count == 4, let port = UInt16(arguments[1]) else {
    fail("usage: TicklineEngineCrashChild PORT STORE_DIR SYMBOL[,SYMBOL…]")
}
let names = arguments[3].split(separator: ",").map(String.init)

/// The record index the next journal transaction stops after (-1: none).
let stopAfterRecord = Atomic<Int>(-1)

do {
    var configuration = TicklineConfiguration(layout: try LayoutLoader.load("fused-1"))
    configuration.venue.restURL = VenueURL(secure: false, host: "127.0.0.1", port: port, path: "")
    configuration.venue.streamURL = configuration.venue.restURL
    configuration.venue.symbols = names
    configuration.venue.intervals = [.m1]
    let store = try TicklineStore(directory: arguments[2], options: .small(mapSizeBytes: 16 << 20))
    let venue = try LiveRun.resolve(configuration.venue)
    let logger = Logger(label: "crash-child") { label in
        var h = StreamLogHandler.standardError(label: label)
        h.logLevel = .notice
        return h
    }
    let plan = try LiveRun.prepareTrading(configuration, venue, store: store, logger: logger)
    let clock = LiveClock()
    let rings = PipelineRings(capacity: 1024, symbolCount: venue.symbols.count)
    let parse = LiveParseStage(rings: rings, symbols: venue.symbols, intervals: [.m1], endpoints: venue.streams,
                               rest: venue.rest, warmupCandles: 0,
                               parser: BinanceStreamParser(symbols: BinanceSymbols(venue.symbols)), loop: PollingSocketLoop())
    let risk = try RiskStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: plan.risk)
    let gateway = try BinanceGateway(loop: PollingSocketLoop(), clock: clock, symbols: venue.symbols, rest: venue.rest,
                                     stream: venue.userStream, accounts: plan.accounts, log: rings.log(.order),
                                     firstOrderSequence: plan.firstOrderSequence)
    let order = OrderStage(rings: rings, clock: clock, gateway: gateway)
    var options = JournalWriterOptions()
    options.afterJournalRecordApplied = { index in
        guard index == stopAfterRecord.load(ordering: .relaxed) else { return }
        say("mid-batch")
        while true { pause() }  // inside the open write transaction, until SIGKILL
    }
    let writer = JournalWriterAgent(store: store, rings: rings.journalRings.map(\.handle),
                                    statusRing: rings.storeStatusToRisk.handle, logRing: rings.log(.store).ring,
                                    options: options)
    try writer.onStart()

    var journalHeld = false
    var ready = false
    var settleRequested = false
    var autoIntervalNs: UInt64 = 0
    var nextAutoNs: UInt64 = 0
    var autoTurn = 0
    var nextSignalID: UInt64 = 1
    var nextRequestID: UInt64 = 1
    var input: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    _ = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK)

    func symbol(_ name: Substring) -> SymbolID {
        guard let id = venue.symbols.id(of: String(name)) else { fail("unknown symbol \(name)") }
        return id
    }
    func signal(_ s: SymbolID, _ direction: SignalDirection) {
        let sig = Signal(ingressNs: clock.nowNs(), signalID: nextSignalID, eventTimeMs: clock.wallTimeMs(), symbol: s,
                         interval: .m1, direction: direction, scoreBp: direction == .long ? 6_000 : -6_000,
                         confidenceBp: 8_000, entryPrice: .zero)
        nextSignalID += 1
        if !rings.signalToRisk.handle.tryPush(sig) { fail("signal ring full") }
    }
    func close(_ s: SymbolID) {
        let command = Command(kind: .closePosition, issuedNs: clock.nowNs(), requestID: nextRequestID, account: AccountID(0),
                              symbol: s)
        nextRequestID += 1
        if !rings.commandsToRisk.handle.tryPush(command) { fail("command ring full") }
    }
    func perform(_ line: Substring) {
        let words = line.split(separator: " ")
        switch (words.first, words.count) {
        case ("open", 3): signal(symbol(words[1]), words[2] == "short" ? .short : .long)
        case ("close", 2): close(symbol(words[1]))
        case ("hold-journal", 1): journalHeld = true
        case ("release-journal", 1): journalHeld = false
        case ("stop-mid-batch", 2): stopAfterRecord.store(Int(words[1]) ?? -1, ordering: .relaxed)
        case ("settle", 1): settleRequested = true
        case ("auto", 2): autoIntervalNs = (UInt64(words[1]) ?? 0) * 1_000_000
        case ("quit", 1):
            writer.onClose()
            order.onClose()
            exit(writer.stats.pendingRecords == 0 ? 0 : 3)
        default: fail("unknown command \(line)")
        }
    }
    /// Nothing in flight: no order unfinished, every ring empty, every record committed.
    func isSettled() -> Bool {
        let positionsDone = venue.symbols.entries.indices.allSatisfy { i in
            guard let p = risk.engine.position(AccountID(0), SymbolID(UInt16(i))) else { return true }
            return p.phase == .open && p.entryOrderID == 0
        }
        return positionsDone && !journalHeld && rings.signalToRisk.isEmpty && rings.commandsToRisk.isEmpty
            && rings.riskToOrder.isEmpty && rings.executionsToRisk.isEmpty && rings.journalRings.allSatisfy(\.isEmpty)
            && writer.stats.pendingRecords == 0
    }
    /// Auto mode's next step on the next symbol: open when flat, close when the entry is complete.
    func autoStep() {
        let s = SymbolID(UInt16(autoTurn % venue.symbols.count))
        autoTurn += 1
        if let p = risk.engine.position(AccountID(0), s) {
            if p.phase == .open && p.entryOrderID == 0 { close(s) }
        } else {
            signal(s, autoTurn % 2 == 0 ? .long : .short)
        }
    }

    while true {
        let now = clock.nowNs()
        var work = try parse.doWork(nowNs: now)
        work += try risk.doWork(nowNs: now)
        work += try order.doWork(nowNs: now)
        if !journalHeld { work += try writer.doWork(nowNs: now) }
        for ring in rings.eventRings {
            work += ring.handle.drain(limit: 1024) { e in
                if case .execution(let r) = e.pointee.body, r.lastFillQuantity.raw > 0 {
                    say("fill \(venue.symbols[r.symbol].name) \(r.tradeID)")
                }
                return true
            }
        }
        for ring in rings.logRings { work += ring.handle.drain(limit: 1024) { _ in true } }
        work += rings.marketToIndicator.handle.drain(limit: 4096) { _ in true }

        if !ready, gateway.accounts.allSatisfy(\.isStreamOpen), parse.feed.connections.allSatisfy({ $0.state == .open }),
           venue.symbols.entries.indices.allSatisfy({ rings.latestPrices.read(SymbolID(UInt16($0))).lastTrade.raw > 0 }),
           rings.pricesToRisk.isEmpty,
           writer.stats.tradesOpened + writer.stats.tradesResumed >= risk.adopted, writer.stats.pendingRecords == 0 {
            ready = true
            say("ready")
        }
        if settleRequested, isSettled() {
            settleRequested = false
            say("settled")
        }
        if ready, autoIntervalNs > 0, now >= nextAutoNs {
            nextAutoNs = now + autoIntervalNs
            autoStep()
        }
        let n = read(0, &chunk, chunk.count)
        if n > 0 {
            input.append(contentsOf: chunk[..<n])
            while let nl = input.firstIndex(of: 10) {
                let line = String(decoding: input[..<nl], as: UTF8.self)
                input.removeSubrange(...nl)
                perform(Substring(line))
            }
        } else if n == 0 {
            fail("stdin closed")
        }
        if work == 0 { usleep(200) }
    }
} catch {
    fail("\(error)")
}
