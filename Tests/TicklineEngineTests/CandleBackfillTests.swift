import Foundation
import Testing
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineIO
import TicklineRing

/// No candle is lost to an outage: the simulator runs on a manual clock (the test moves it, and
/// the engine's wall clock with it), the live parse stage runs on the test thread, the
/// simulator drops every stream while its market moves on, and after the reconnect the REST
/// backfill must leave a journal holding every 1m candle exactly as the exchange has it, and
/// the indicator ring every candle once, in order, with no gap.
@Suite(.serialized) struct CandleBackfillTests {
    /// The engine side: the stage, its rings and what came out of them.
    final class Engine<Loop: SocketEventLoop> {
        let rings = PipelineRings(capacity: 4096)
        let stage: LiveParseStage<Loop>
        /// The simulator's clock as the engine reads it.
        var simNowMs: Int64
        var downstream: [Kline] = []
        var journal: [Int64: Kline] = [:]
        var journalRecords = 0
        let clock = LiveClock()

        init(_ venue: LiveRun.Venue, loop: Loop, startMs: Int64, warmup: Int) {
            simNowMs = startMs
            var policy = MarketDataPolicy()
            policy.initialBackoffNs = 4_000_000_000  // reconnects 2–4 s after the drop: the outage is longer in venue time
            var box: Engine?
            stage = LiveParseStage(rings: rings, symbols: venue.symbols, intervals: [.m1], endpoints: [venue.streams[0]],
                                   rest: venue.rest, warmupCandles: warmup, parser: BinanceStreamParser(symbols: BinanceSymbols(venue.symbols)),
                                   loop: loop, policy: policy, wallTimeMs: { box!.simNowMs })
            box = self
        }

        /// Duty cycles for `ms` of wall time, collecting the rings' output.
        func run(ms: Int) throws {
            let end = clock.nowNs() + UInt64(ms) * 1_000_000
            while clock.nowNs() < end {
                if try stage.doWork(nowNs: clock.nowNs()) == 0 { usleep(200) }
                _ = rings.marketToIndicator.drain(limit: 1024) { e in
                    if case .klineClosed(let k) = e.pointee.body { downstream.append(k) }
                    return true
                }
                _ = rings.journal(.parse).drain(limit: 1024) { r in
                    if case .candle(_, let k) = r.pointee.body { journal[k.openTimeMs] = k }  // a correction replaces
                    journalRecords += 1
                    return true
                }
                _ = rings.pricesToRisk.drain(limit: 1024) { _ in true }
            }
        }

        /// Runs until `done` or 15 s.
        func run(until done: () -> Bool) throws {
            for _ in 0..<300 where !done() { try run(ms: 50) }
        }
    }

    /// Moves the simulator's clock (and the engine's) in 1 s steps, letting the engine work.
    func advance<L>(_ sim: SimulatorProcess, _ engine: Engine<L>, seconds: Int, engineMsPerStep: Int) throws {
        for _ in 0..<seconds {
            let answer = try sim.request("POST", "/sim/advance?ms=1000")
            let t = try #require(Int64(answer.split(separator: ":").last?.dropLast() ?? ""), "\(answer)")
            engine.simNowMs = t
            try engine.run(ms: engineMsPerStep)
        }
    }

    @Test(arguments: [("uring", 30), ("uring", 150), ("poll", 30)])
    func noCandleGapAfterAnOutage(backend: String, outageSeconds: Int) throws {
        if backend == "uring" {
            try scenario(try URingLoop(), outageSeconds: outageSeconds)
        } else {
            try scenario(PollingSocketLoop(), outageSeconds: outageSeconds)
        }
    }

    func scenario<L: SocketEventLoop>(_ loop: L, outageSeconds: Int) throws {
        // 2025-01-01T00:00:00Z; five minutes of history before the engine starts.
        let startMs: Int64 = 1_735_689_600_000
        let sim = try SimulatorProcess(seed: 11, arguments: ["--manual-clock"])
        defer { withExtendedLifetime(sim) {} }
        _ = try sim.request("POST", "/sim/advance?ms=300000")
        var settings = VenueSettings()
        settings.restURL = VenueURL(secure: false, host: "127.0.0.1", port: sim.port, path: "")
        settings.streamURL = settings.restURL
        settings.symbols = ["BTCUSDT"]
        settings.intervals = [.m1]
        let venue = try LiveRun.resolve(settings)
        let engine = Engine(venue, loop: loop, startMs: startMs + 300_000, warmup: 3)

        // Connected, warmed up (the last 3 closed minutes), then 105 s of live market.
        try engine.run { engine.stage.feed.connections[0].state == .open && engine.stage.historyCandles == 3 }
        #expect(engine.stage.historyCandles == 3, "warm-up: 3 candles from REST")
        try advance(sim, engine, seconds: 105, engineMsPerStep: 15)

        // The outage: every stream dropped, the market moves on without us.
        try sim.fault("drop_connections=now")
        try engine.run { engine.stage.feed.connections[0].state != .open }
        try advance(sim, engine, seconds: outageSeconds, engineMsPerStep: 1)
        #expect(engine.stage.feed.reconnects == 0, "the outage must last until the simulator has moved on")
        let heldBefore = engine.downstream.count

        // Reconnect and backfill, then 70 s more of live market.
        try engine.run { engine.stage.feed.reconnects >= 1 && engine.stage.feed.connections[0].state == .open && engine.stage.historyRequests >= 2 }
        try engine.run(ms: 300)
        #expect(engine.stage.historyRequests >= 2 && engine.stage.historyFailures == 0)
        try advance(sim, engine, seconds: 70, engineMsPerStep: 15)
        try engine.run(ms: 300)

        // The exchange's own record of every closed minute.
        let nowMs = engine.simNowMs
        let truth = try sim.request("GET", "/fapi/v1/klines?symbol=BTCUSDT&interval=1m&limit=1500")
        let entry = venue.symbols.entries[0]
        let exchange = try Array(truth.utf8).withUnsafeBytes {
            try BinanceREST.klines($0, interval: .m1, priceScale: entry.priceScale, quantityScale: entry.quantityScale)
        }.filter { $0.closeTimeMs < nowMs && $0.openTimeMs >= startMs + 120_000 }

        // Downstream: each minute once, in order, no gap, from the first warm-up candle on.
        let opens = engine.downstream.map(\.openTimeMs)
        #expect(opens.first == startMs + 120_000, "warm-up starts 3 minutes back")
        #expect(zip(opens, opens.dropFirst()).allSatisfy { $1 - $0 == 60_000 }, "gap or duplicate in \(opens)")
        #expect(opens == exchange.map(\.openTimeMs), "every closed minute reached the indicator ring")
        #expect(engine.downstream.count > heldBefore + outageSeconds / 60, "minutes inside the outage came from the backfill")
        // The journal (after corrections) holds every minute with the exchange's values.
        for k in exchange {
            let j = try #require(engine.journal[k.openTimeMs], "minute \(k.openTimeMs) missing from the journal")
            #expect(j.open == k.open && j.high == k.high && j.low == k.low && j.close == k.close && j.volume == k.volume,
                    "minute \(k.openTimeMs): journal \(j) vs exchange \(k)")
        }
    }
}
