// Wire-to-wire latency: a running simulator's paced aggTrade (`POST /sim/pace`, stamped in `a`
// with its CLOCK_MONOTONIC ns at render) → the engine's real trading path → the order read by
// the simulator (its LatencyProbe, `GET /sim/latency?after_ns=<stamp>`), over loopback.
//
// The engine is built as Tests/TicklineEngineTests/TradingHarness builds it, on this one thread:
// `LiveRun.resolve` + `LiveRun.prepareTrading` (the start-up sync), the live parse stage on the
// simulator's streams, the real `RiskStage`, the real `OrderStage` on `BinanceGateway` (REST
// pool + user-data stream), each stage on the backend under test (io_uring or polling; the
// parse stage and the gateway have a loop each, as in the engine). In place of the indicator and
// signal stages a tiny reflex turns each paced aggTrade into a Long `Signal` (confidence 0.80, no
// entry price: risk uses its fallback levels around the last trade) — only when risk holds no
// position in the symbol and nothing is in flight, so every sample is a clean entry. After the
// entry fills (and its exchange-side stop / take-profit are acknowledged) a `closePosition`
// command closes it, so the next tick opens a new one. Journal, event and log rings are drained.
//
// Per measured tick (CLOCK_MONOTONIC ns, stamp = the aggTrade's `a`):
//   total  = the simulator read the entry order − stamp          (from the simulator, after the run)
//   in     = MarketEvent.ingressNs − stamp                       (bytes received; before the codec)
//   proc   = the order stage calls the loop's flush() − ingress  (all user-space work up to the
//            send: parse, reflex, risk, order stage)
//   out    = total − in − proc                                   (the send syscall or io_uring_submit,
//            loopback, the simulator's read path)
// and the split of proc, plus the send call itself:
//   parse  = after parse.doWork and the reflex pushed the signal − ingress
//   risk   = after risk.doWork − that
//   order  = flush() entered − that (the order stage's loop poll, gateway.submit: sign, format,
//            HTTP pool)
//   send   = the order stage's doWork returned − flush() entered (the send syscall with the
//            polling loop, io_uring_submit with io_uring; for information: the simulator may read
//            the order before it returns)
// The order stage flushes its loop after each batch of intents (`gateway.flush()`): the order
// leaves inside the duty cycle that produced it. To see that moment the gateway's loop is
// wrapped in `FlushClockLoop`, which forwards every call and reads the clock when `flush()` is
// entered (one clock read per order batch; the only instrumentation inside the engine's path).
//
//   OrderWireLatency HOST PORT BACKENDS MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX]
//
// Output, one line per backend and stage (the format COrderClient prints):
//   order client=uring stage=total n=500 lost=0 skipped=0 invalid=0 p50_ns=… p90_ns=… p99_ns=… p999_ns=… max_ns=…
//
// Benchmark settings (not engine tuning): risk per trade 0.05 % (about 0.005 BTC, over the
// 100 USDT minimum notional, so thousands of round trips cost little in fees), and the
// gateway's client-side rate limits raised (run the simulator with high limits too): at one
// entry every 50 ms the engine sends ~80 orders/s (entry, stop, take-profit, close), above
// Binance's 300 per 10 s, which the limiter would otherwise hold back.
import Logging
import TicklineBinance
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineIO
import TicklineRing
import TicklineRisk

#if canImport(Glibc)
import Glibc
#endif

struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

func percentile(_ sorted: [Int64], _ q: Double) -> Int64 {
    guard !sorted.isEmpty else { return 0 }
    let rank = Int((q * Double(sorted.count)).rounded(.up))
    return sorted[min(sorted.count - 1, max(0, rank - 1))]
}

/// One measured tick's times (CLOCK_MONOTONIC ns).
struct Sample {
    var stamp: UInt64
    var ingressNs: UInt64
    var signalNs: UInt64 = 0
    var riskNs: UInt64 = 0
    /// The order stage entered its loop's `flush()` (the send starts).
    var flushNs: UInt64 = 0
    /// The order stage's `doWork` returned.
    var handedNs: UInt64 = 0
}

/// The gateway's loop, forwarding every call, with the clock read when `flush()` is entered:
/// the moment the order stage hands its batch to the kernel. Static dispatch to `Inner`.
final class FlushClockLoop<Inner: SocketEventLoop>: SocketEventLoop {
    let inner: Inner
    let clock = LiveClock()
    private(set) var lastFlushNs: UInt64 = 0

    init(_ inner: Inner) { self.inner = inner }

    @discardableResult
    func connect(fd: Int32, to address: SocketAddress, token: UInt32, timeoutNs: UInt64) -> Bool {
        inner.connect(fd: fd, to: address, token: token, timeoutNs: timeoutNs)
    }
    @discardableResult func receive(fd: Int32, token: UInt32) -> Bool { inner.receive(fd: fd, token: token) }
    @discardableResult
    func send(fd: Int32, _ bytes: UnsafeRawBufferPointer, token: UInt32) -> Bool { inner.send(fd: fd, bytes, token: token) }
    @discardableResult func close(fd: Int32, token: UInt32) -> Bool { inner.close(fd: fd, token: token) }
    func poll(_ handler: (URingCompletion, UnsafeRawBufferPointer?) -> Void) -> Int { inner.poll(handler) }
    func flush() {
        lastFlushNs = clock.nowNs()
        inner.flush()
    }
}

/// The simulator's admin API, set-up and after the run only (blocking, `Connection: close`).
struct SimAdmin {
    var rest: RESTEndpoint

    func connections() throws -> Int {
        let r = try StartupREST.get(rest, path: "/sim/stats")
        let text = String(decoding: r.body, as: UTF8.self)
        guard let range = text.range(of: "\"connections\":") else { return -1 }
        return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? -1
    }

    /// ns from `stamp` to the first order the simulator read at or after it.
    func delay(after stamp: UInt64) throws -> Int64? {
        let r = try StartupREST.get(rest, path: "/sim/latency?after_ns=\(stamp)")
        guard r.status == 200 else { return nil }
        let text = String(decoding: r.body, as: UTF8.self)
        guard let range = text.range(of: "\"delay_ns\":") else { return nil }
        return Int64(text[range.upperBound...].prefix { $0.isNumber })
    }
}

final class Bench<Loop: SocketEventLoop> {
    enum Phase { case idle, entry, filling, closing }

    let name: String
    let clock = LiveClock()
    let venue: LiveRun.Venue
    let rings: PipelineRings
    let parse: LiveParseStage<Loop>
    let risk: RiskStage<LiveClock>
    let order: OrderStage<LiveClock, BinanceGateway<FlushClockLoop<Loop>, LiveClock>>
    let orderLoop: FlushClockLoop<Loop>
    let symbol: SymbolID
    let account = AccountID(0)
    let warmup: Int
    let measured: Int
    let notBeforeNs: UInt64
    let eventHandles: [SPSCRingHandle<EngineEvent>]
    let journalHandles: [SPSCRingHandle<JournalRecord>]
    let logHandles: [SPSCRingHandle<LogRecord>]

    var phase = Phase.idle
    var current: Sample?
    var samples: [Sample] = []
    /// Paced ticks seen (warm-up included), those answered with an entry, and those that came
    /// while the previous round trip was still in flight (no entry: not a sample).
    var seen = 0
    var entries = 0
    var skipped = 0
    var foreign = 0
    var nextSignalID: UInt64 = 1
    var nextCommandID: UInt64 = 1
    var handedOffBefore = 0
    /// Duty cycles run (for the mean cycle time).
    var cycles = 0
    var phaseSinceNs: UInt64 = 0
    var deniedBefore = 0
    var denials = 0
    var rejections = 0
    var fills = 0
    var stuck = 0
    var logWarnings = 0
    var eventsDrained = 0
    var journalDrained = 0
    var warnings: [LogRecord] = []
    /// Positions left over by a round trip (partial close, abandoned) and closed in the idle phase.
    var recoveries = 0

    init(name: String, configuration: TicklineConfiguration, makeLoop: () throws -> Loop, warmup: Int, measured: Int)
        throws
    {
        self.name = name
        self.warmup = warmup
        self.measured = measured
        venue = try LiveRun.resolve(configuration.venue)
        let plan = try LiveRun.prepareTrading(configuration, venue, logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        rings = PipelineRings(capacity: 1024, symbolCount: venue.symbols.count)
        parse = LiveParseStage(rings: rings, symbols: venue.symbols, intervals: configuration.venue.intervals,
                               endpoints: venue.streams, rest: venue.rest, warmupCandles: 0,
                               parser: BinanceStreamParser(symbols: BinanceSymbols(venue.symbols)), loop: try makeLoop())
        risk = try RiskStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: plan.risk)
        var limits = RateLimitConfiguration()
        limits.requestWeight = WindowLimit(limit: 10_000_000, windowMs: 60_000)
        limits.orders10s = WindowLimit(limit: 10_000_000, windowMs: 10_000)
        limits.orders1m = WindowLimit(limit: 10_000_000, windowMs: 60_000)
        limits.groups = limits.groups.map { _ in nil }
        var accounts = plan.accounts
        for i in accounts.indices { accounts[i].limits = limits }
        orderLoop = FlushClockLoop(try makeLoop())
        let gateway = try BinanceGateway(loop: orderLoop, clock: clock, symbols: venue.symbols, rest: venue.rest,
                                         stream: venue.userStream, accounts: accounts, log: rings.log(.order),
                                         firstOrderSequence: plan.firstOrderSequence)
        order = OrderStage(rings: rings, clock: clock, gateway: gateway)
        guard let btc = venue.symbols.id(of: "BTCUSDT") else { throw BenchError("BTCUSDT is not in the table") }
        symbol = btc
        notBeforeNs = clock.nowNs()
        eventHandles = rings.eventRings.map(\.handle)
        journalHandles = rings.journalRings.map(\.handle)
        logHandles = rings.logRings.map(\.handle)
        samples.reserveCapacity(measured)
    }

    var client: BinanceOrderClient<FlushClockLoop<Loop>, LiveClock> { order.gateway.accounts[0].client }
    var done: Bool { seen >= warmup + measured && phase == .idle }

    /// Nothing of the last round trip is left anywhere: no position, no intent, report or
    /// command on a ring, no request in flight.
    var quiet: Bool {
        risk.engine.position(account, symbol) == nil && client.outstanding == 0 && rings.riskToOrder.isEmpty
            && rings.executionsToRisk.isEmpty && rings.signalToRisk.isEmpty && rings.commandsToRisk.isEmpty
    }

    /// One duty cycle of the stages, as the fused layout runs them, with the reflex between parse
    /// and risk; clock reads beyond the cycle's own only while a sample is in flight.
    @discardableResult
    func cycle() throws -> Int {
        let now = clock.nowNs()
        var work = try parse.doWork(nowNs: now)
        work += reflex()
        if current != nil, phase == .entry, current!.riskNs == 0 {
            work += try risk.doWork(nowNs: now)
            current!.riskNs = clock.nowNs()
        } else {
            work += try risk.doWork(nowNs: now)
        }
        let pending = current != nil && current!.handedNs == 0
        work += try order.doWork(nowNs: now)
        if pending, order.handedOff > handedOffBefore {
            current!.handedNs = clock.nowNs()
            current!.flushNs = orderLoop.lastFlushNs
        }
        cycles &+= 1
        work += drainSideChannels()
        advance(nowNs: now)
        return work
    }

    /// The stand-in for the indicator and signal stages: paced aggTrades become Long signals.
    func reflex() -> Int {
        rings.marketToIndicator.handle.drain(limit: 64) { e in
            guard case .trade(let t) = e.pointee.body, t.isAggregate else { return true }
            let stamp = t.tradeID
            guard stamp > 0, UInt64(stamp) >= notBeforeNs, UInt64(stamp) <= e.pointee.ingressNs else {
                foreign += 1
                return true
            }
            seen += 1
            guard phase == .idle, quiet else {
                skipped += 1
                return true
            }
            let s = Signal(ingressNs: e.pointee.ingressNs, signalID: nextSignalID, eventTimeMs: t.eventTimeMs,
                           symbol: e.pointee.symbol, interval: .m1, direction: .long, scoreBp: 6_000, confidenceBp: 8_000,
                           entryPrice: .zero)
            guard rings.signalToRisk.handle.tryPush(s) else { return true }
            nextSignalID += 1
            let now = clock.nowNs()
            current = Sample(stamp: UInt64(stamp), ingressNs: e.pointee.ingressNs, signalNs: now)
            phase = .entry
            phaseSinceNs = now
            handedOffBefore = order.handedOff
            deniedBefore = risk.denied
            return true
        }
    }

    func drainSideChannels() -> Int {
        var n = 0
        for handle in eventHandles {
            n += handle.drain(limit: 1024) { e in
                switch e.pointee.body {
                case .orderDenied: denials += 1
                case .execution(let r) where r.kind == .rejected: rejections += 1
                case .execution(let r) where r.kind == .filled: fills += 1
                default: break
                }
                return true
            }
        }
        eventsDrained += n
        for handle in journalHandles {
            let j = handle.drain(limit: 1024) { _ in true }
            journalDrained += j
            n += j
        }
        for handle in logHandles {
            n += handle.drain(limit: 1024) { r in
                if r.pointee.level >= .warning {
                    logWarnings += 1
                    if warnings.count < 8 { warnings.append(r.pointee) }
                }
                return true
            }
        }
        return n
    }

    /// The round trip after the entry: wait for the fill (and the protective orders' answers),
    /// close, wait until everything is quiet again.
    func advance(nowNs: UInt64) {
        switch phase {
        case .idle:
            // Left over (a partial close, a round trip given up): close it before the next tick.
            if risk.engine.position(account, symbol) != nil, client.outstanding == 0, rings.riskToOrder.isEmpty,
               rings.commandsToRisk.isEmpty
            {
                let c = Command(kind: .closePosition, issuedNs: clock.nowNs(), requestID: nextCommandID, account: account,
                                symbol: symbol)
                if rings.commandsToRisk.handle.tryPush(c) {
                    nextCommandID += 1
                    recoveries += 1
                    phase = .closing
                    phaseSinceNs = nowNs
                }
            }
            return
        case .entry:
            guard let s = current else { return }
            if risk.denied > deniedBefore {  // refused by risk: no order went out
                current = nil
                phase = .idle
                return
            }
            if s.handedNs != 0 {
                if seen > warmup, samples.count < measured { samples.append(s) }
                entries += 1
                current = nil
                phase = .filling
                phaseSinceNs = nowNs
            }
        case .filling:
            if let p = risk.engine.position(account, symbol), p.phase == .open, client.outstanding == 0,
               rings.riskToOrder.isEmpty
            {
                let c = Command(kind: .closePosition, issuedNs: clock.nowNs(), requestID: nextCommandID, account: account,
                                symbol: symbol)
                if rings.commandsToRisk.handle.tryPush(c) {
                    nextCommandID += 1
                    phase = .closing
                    phaseSinceNs = nowNs
                }
            } else if risk.engine.position(account, symbol) == nil, quiet {
                phase = .idle  // rejected by the venue, or closed by a protective order
            }
        case .closing:
            if quiet {
                phase = .idle
            } else if let p = risk.engine.position(account, symbol), p.phase == .open, client.outstanding == 0,
                      rings.riskToOrder.isEmpty, rings.commandsToRisk.isEmpty
            {
                phase = .idle  // the close filled in part: the idle phase closes the rest
            }
        }
        // A round trip that hangs (5 s) is abandoned; the state is left to the quiet check.
        if phase != .idle, nowNs > phaseSinceNs, nowNs - phaseSinceNs > 5_000_000_000 {
            stuck += 1
            let p = risk.engine.position(account, symbol)
            let text = "OrderWireLatency \(name): round trip abandoned in phase \(phase) (sample \(String(describing: current)), "
                + "position \(p.map { "\($0.phase) \($0.quantity)" } ?? "none"), \(client.outstanding) requests outstanding, "
                + "handed off \(order.handedOff), risk sent \(risk.intentsSent))\n"
            _ = text.withCString { write(2, $0, strlen($0)) }
            current = nil
            phase = .idle
        }
    }

    /// Runs the cycle until `condition` holds or `seconds` pass; whether it held.
    @discardableResult
    func spin(seconds: Double, until condition: () -> Bool) throws -> Bool {
        let deadline = clock.nowNs() + UInt64(seconds * 1e9)
        while clock.nowNs() < deadline {
            if condition() { return true }
            try cycle()
        }
        return condition()
    }

    func shutDown(admin: SimAdmin) throws {
        for c in parse.feed.connections { c.shutdown() }
        order.onClose()
        _ = try? spin(seconds: 0.05) { false }
        for _ in 0..<200 {
            if try admin.connections() == 0 { break }
            usleep(10_000)
        }
    }
}

struct Run {
    var host: String
    var port: UInt16
    var messages: Int
    var intervalUs: Int
    var warmup: Int
    var dumpPrefix: String?

    var configuration: TicklineConfiguration {
        get throws {
            var c = TicklineConfiguration(layout: try LayoutLoader.load("fused-1"))
            c.venue.restURL = VenueURL(secure: false, host: host, port: port, path: "")
            c.venue.streamURL = c.venue.restURL
            c.venue.symbols = ["BTCUSDT"]
            c.venue.intervals = [.m1]
            c.accounts[0].riskPerTradeBp = 5
            return c
        }
    }

    func measure<L: SocketEventLoop>(name: String, _ makeLoop: () throws -> L) throws {
        let bench = try Bench(name: name, configuration: try configuration, makeLoop: makeLoop, warmup: warmup,
                              measured: messages)
        let admin = SimAdmin(rest: bench.venue.rest)
        guard try bench.spin(seconds: 10, until: {
            bench.order.gateway.accounts[0].isStreamOpen && bench.parse.feed.connections.allSatisfy { $0.state == .open }
        }) else {
            throw BenchError("\(name): streams not open after 10 s")
        }
        // A position left by an earlier run (adopted at start-up) is closed first.
        if bench.risk.engine.position(bench.account, bench.symbol) != nil {
            _ = bench.rings.commandsToRisk.handle.tryPush(
                Command(kind: .closePosition, issuedNs: bench.clock.nowNs(), requestID: 0, account: bench.account,
                        symbol: bench.symbol))
        }
        guard try bench.spin(seconds: 10, until: { bench.quiet }) else {
            throw BenchError("\(name): a position is still open at the venue after 10 s")
        }
        // The simulator registers the market connection with its hub just after the 101: ask
        // until it has (409), cycling the engine in between.
        let total = warmup + messages
        var status = 0
        for _ in 0..<250 {
            status = try StartupREST.request(bench.venue.rest, method: "POST",
                                             path: "/sim/pace?stream=btcusdt@aggTrade&count=\(total)&interval_us=\(intervalUs)").status
            if status != 409 { break }
            try bench.spin(seconds: 0.02) { false }
        }
        guard status == 200 else { throw BenchError("\(name): POST /sim/pace answered \(status)") }
        let expectedNs = UInt64(total) * UInt64(intervalUs) * 1000
        let (startNs, startCycles) = (bench.clock.nowNs(), bench.cycles)
        try bench.spin(seconds: Double(expectedNs * 2) / 1e9 + 5) { bench.done }
        let cycleNs = Double(bench.clock.nowNs() - startNs) / Double(max(1, bench.cycles - startCycles))
        try bench.spin(seconds: 2) { bench.phase == .idle && bench.quiet }
        let lost = total - bench.seen
        let samples = bench.samples
        let warningsWhileRunning = bench.logWarnings
        try bench.shutDown(admin: admin)

        // The simulator's side, per sample; a read before our hand-off matched something else.
        var stages: [String: [Int64]] = [:]
        let names = ["total", "in", "proc", "out", "parse", "risk", "order", "send"]
        for n in names { stages[n] = [] }
        var invalid = 0
        for s in samples {
            guard let delay = try admin.delay(after: s.stamp), delay >= Int64(s.flushNs &- s.stamp) else {
                invalid += 1
                continue
            }
            let inNs = Int64(s.ingressNs &- s.stamp)
            let proc = Int64(s.flushNs &- s.ingressNs)
            stages["total"]!.append(delay)
            stages["in"]!.append(inNs)
            stages["proc"]!.append(proc)
            stages["out"]!.append(delay - inNs - proc)
            stages["parse"]!.append(Int64(s.signalNs &- s.ingressNs))
            stages["risk"]!.append(Int64(s.riskNs &- s.signalNs))
            stages["order"]!.append(Int64(s.flushNs &- s.riskNs))
            stages["send"]!.append(Int64(s.handedNs &- s.flushNs))
        }
        for n in names {
            let v = stages[n]!
            let sorted = v.sorted()
            print("order client=\(name) stage=\(n) n=\(v.count) lost=\(lost) skipped=\(bench.skipped) invalid=\(invalid)"
                  + " p50_ns=\(percentile(sorted, 0.5)) p90_ns=\(percentile(sorted, 0.9)) p99_ns=\(percentile(sorted, 0.99))"
                  + " p999_ns=\(percentile(sorted, 0.999)) max_ns=\(sorted.last ?? 0)")
            if let dumpPrefix, let f = fopen("\(dumpPrefix).\(name).\(n)", "a") {
                for x in v { fputs("\(x)\n", f) }
                fclose(f)
            }
        }
        let c = bench.client
        var note = "OrderWireLatency \(name): mean duty cycle \(Int(cycleNs)) ns; \(bench.entries) entries, \(bench.fills) fills, "
            + "\(bench.denials) denials, \(bench.rejections) venue rejections, \(bench.stuck) abandoned round trips, "
            + "\(bench.recoveries) left-over positions closed, \(bench.skipped) ticks while busy, "
            + "\(bench.foreign) foreign aggTrades; client sent \(c.sent) requests, \(c.timestampRetries) -1021 retries, "
            + "\(c.rateLimitRetries) 429 retries; \(bench.logWarnings) warning log records "
            + "(\(bench.logWarnings - warningsWhileRunning) while shutting down)"
        if !bench.warnings.isEmpty {
            note += " (" + bench.warnings.map { "\($0.code) \($0.arguments)" }.joined(separator: ", ") + ")"
        }
        let line = note + "\n"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

let args = CommandLine.arguments
guard args.count >= 5, let port = UInt16(args[2]), let messages = Int(args[4]), messages > 0 else {
    print("usage: OrderWireLatency HOST PORT uring|poll|uring,poll MESSAGES [INTERVAL_US] [WARMUP] [DUMP_PREFIX]")
    exit(2)
}
do {
    let host = args[1]
    guard host.hasPrefix("127.") else { throw BenchError("loopback only (127.x.x.x)") }
    let run = Run(host: host, port: port, messages: messages,
                  intervalUs: args.count > 5 ? Int(args[5]) ?? 50_000 : 50_000,
                  warmup: args.count > 6 ? Int(args[6]) ?? 50 : 50,
                  dumpPrefix: args.count > 7 ? args[7] : nil)
    for backend in args[3].split(separator: ",") {
        switch backend {
        case "uring": try run.measure(name: "uring") { try URingLoop() }
        case "poll": try run.measure(name: "poll") { PollingSocketLoop() }
        default: throw BenchError("backend must be uring or poll, not \(backend)")
        }
    }
} catch {
    print("OrderWireLatency: \(error)")
    exit(1)
}
