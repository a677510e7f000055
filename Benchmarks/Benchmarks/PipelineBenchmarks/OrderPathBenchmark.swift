import Benchmark
import Foundation
import Logging
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineExecution
import TicklineRing

/// Signal → order bytes handed to the kernel, in process: the real risk stage sizes a Long signal
/// into a market entry, the real order stage hands it to the Binance gateway (signed REST over a
/// keep-alive connection on its own io_uring loop, or the polling loop) and flushes it. One sample
/// per benchmark run: the fill, the close and the venue's answers are handled between samples,
/// outside the measured window, so the window is exactly signal push → `io_uring_enter`.
///
/// The venue is the release simulator (`../.build/release/tickline sim`, or `TICKLINE_BINARY`),
/// a child process on loopback, on its live clock (a frozen manual clock would let the signed
/// requests' timestamps run ahead of the server's), with order limits far above Binance's.
final class OrderPathFixture {
    let sim: Process
    let rings: PipelineRings
    let risk: RiskStage<LiveClock>
    let order: any OrderStageStats
    let clock = LiveClock()
    let symbol = SymbolID(0)
    var nextSignalID: UInt64 = 1

    init(backend: VenueSettings.Backend) throws {
        let binary = ProcessInfo.processInfo.environment["TICKLINE_BINARY"] ?? "../.build/release/tickline"
        sim = Process()
        sim.executableURL = URL(fileURLWithPath: binary)
        sim.arguments = ["sim", "--host", "127.0.0.1", "--port", "0", "--weight-limit", "10000000",
                         "--order-limit-10s", "10000000", "--order-limit-1m", "10000000"]
        let out = Pipe()
        sim.standardOutput = out
        sim.standardError = FileHandle.nullDevice
        try sim.run()
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while read(out.fileHandleForReading.fileDescriptor, &byte, 1) == 1, byte != 0x0A { line.append(byte) }
        guard let port = UInt16(String(decoding: line, as: UTF8.self).split(separator: ":").last ?? "") else {
            sim.terminate()
            throw Failure(description: "the simulator printed no port")
        }
        var configuration = TicklineConfiguration(layout: Layout(name: "bench", threads: []))
        configuration.venue.restURL = VenueURL(secure: false, host: "127.0.0.1", port: port, path: "")
        configuration.venue.streamURL = configuration.venue.restURL
        configuration.venue.symbols = ["BTCUSDT"]
        let venue = try LiveRun.resolve(configuration.venue)
        var plan = try LiveRun.prepareTrading(configuration, venue,
                                              logger: Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() })
        // Hundreds of round trips in seconds: far above Binance's order limits, which the client
        // would (rightly) wait for. The simulator is started with matching limits.
        var limits = RateLimitConfiguration()
        limits.requestWeight = WindowLimit(limit: 10_000_000, windowMs: 60_000)
        limits.orders10s = WindowLimit(limit: 10_000_000, windowMs: 10_000)
        limits.orders1m = WindowLimit(limit: 10_000_000, windowMs: 60_000)
        limits.groups = limits.groups.map { $0.map { WindowLimit(limit: 10_000_000, windowMs: $0.windowMs) } }
        for i in plan.accounts.indices { plan.accounts[i].limits = limits }
        rings = PipelineRings(capacity: 1024, symbolCount: 1)
        risk = try RiskStage(rings: rings, clock: clock, symbols: venue.symbols, configuration: plan.risk)
        order = try plan.orderStage(backend: backend)(rings)
        // A price to size at: the simulator's start price, as a trade.
        let price = Price(raw: 4_325_000)  // 43 250.00
        _ = rings.pricesToRisk.handle.tryPush(MarketEvent(
            ingressNs: clock.nowNs(), symbol: symbol,
            body: .trade(TradeTick(eventTimeMs: clock.wallTimeMs(), tradeTimeMs: clock.wallTimeMs(), tradeID: 1, price: price,
                                   quantity: Quantity(raw: 1), aggressor: .buy, isAggregate: true))))
        // Connections open and the user-data stream up: let the stages run for a second.
        let until = clock.nowNs() + 1_000_000_000
        while clock.nowNs() < until { cycle() }
    }

    deinit {
        order.onClose()
        sim.terminate()
        sim.waitUntilExit()
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    func cycle() {
        let now = clock.nowNs()
        _ = try? risk.doWork(nowNs: now)
        _ = try? order.doWork(nowNs: now)
        for ring in rings.eventRings { _ = ring.handle.drain(limit: 1024) { _ in true } }
        for ring in rings.journalRings { _ = ring.handle.drain(limit: 1024) { _ in true } }
        for ring in rings.logRings { _ = ring.handle.drain(limit: 1024) { _ in true } }
    }

    /// Unmeasured: the last entry filled, closed, and the slot free again.
    func settle() {
        let deadline = clock.nowNs() + 10_000_000_000
        while let p = risk.engine.position(AccountID(0), symbol), clock.nowNs() < deadline {
            if p.phase == .open {
                _ = rings.commandsToRisk.handle.tryPush(Command(kind: .closePosition, issuedNs: clock.nowNs(),
                                                                requestID: nextSignalID, account: AccountID(0),
                                                                symbol: symbol))
                while risk.engine.position(AccountID(0), symbol)?.phase == .open, clock.nowNs() < deadline { cycle() }
            }
            cycle()
        }
        // The venue's last answers (cancels of the protective orders, stream events): wait
        // until 5 ms pass without any work, so none of it lands in the measured window.
        var quietSince = clock.nowNs()
        while clock.nowNs() - quietSince < 5_000_000, clock.nowNs() < deadline {
            let now = clock.nowNs()
            var work = (try? risk.doWork(nowNs: now)) ?? 0
            work += (try? order.doWork(nowNs: now)) ?? 0
            for ring in rings.eventRings { work += ring.handle.drain(limit: 1024) { _ in true } }
            for ring in rings.journalRings { work += ring.handle.drain(limit: 1024) { _ in true } }
            for ring in rings.logRings { work += ring.handle.drain(limit: 1024) { _ in true } }
            if work > 0 { quietSince = clock.nowNs() }
        }
    }

    func pushSignal() {
        let s = Signal(ingressNs: clock.nowNs(), signalID: nextSignalID, eventTimeMs: clock.wallTimeMs(), symbol: symbol,
                       interval: .m1, direction: .long, scoreBp: 6_000, confidenceBp: 8_000, entryPrice: .zero)
        nextSignalID += 1
        precondition(rings.signalToRisk.handle.tryPush(s))
    }

    /// Measured: risk and order duty cycles until the order stage has flushed the entry (false
    /// if it did not within a second: the signal was denied).
    func runUntilHandedOff() -> Bool {
        let target = order.handedOff + 1
        let deadline = clock.nowNs() + 1_000_000_000
        while order.handedOff < target {
            let now = clock.nowNs()
            if now > deadline { return false }
            _ = try? risk.doWork(nowNs: now)
            _ = try? order.doWork(nowNs: now)
        }
        return true
    }

    var diagnosis: String {
        let c = risk.engine.counters
        let denied = DenialReason.allCases.filter { c.denials($0) > 0 }.map { "\($0) \(c.denials($0))" }
        return "no order: entries \(c.entriesSubmitted), fills \(c.fills), denied [\(denied.joined(separator: ", "))], "
            + "position \(String(describing: risk.engine.position(AccountID(0), symbol)?.phase))"
    }
}

nonisolated(unsafe) var orderFixture: OrderPathFixture?

func orderPathBenchmarks() {
    for backend in [VenueSettings.Backend.uring, .poll] {
        Benchmark("Signal → order bytes to the kernel (risk + Binance gateway, \(backend.rawValue))",
                  configuration: .init(metrics: [.wallClock, .mallocCountTotal], scalingFactor: .one,
                                       maxDuration: .seconds(20), maxIterations: 400,
                                       setup: { orderFixture = try OrderPathFixture(backend: backend) },
                                       teardown: { orderFixture = nil })) { benchmark in
            guard let f = orderFixture else { return }
            f.settle()
            f.pushSignal()
            benchmark.startMeasurement()
            let sent = f.runUntilHandedOff()
            benchmark.stopMeasurement()
            if !sent { benchmark.error(f.diagnosis) }
        }
    }
}
