import Foundation
import Testing
import TicklineBinance
import TicklineCore
import TicklineEngine
import TicklineIO

/// Reconnect policy against the real simulator: dropped connections and a silent (half-open)
/// stream both end in a new connection that delivers data again.
@Suite(.serialized) struct MarketDataFeedTests {
    /// Counts market messages (the sink must outlive the feed: tests keep it in a local).
    final class Counter: MarketDataSink {
        var count = 0
        func marketData(_ message: BinanceStreamMessage) {
            if case .market = message { count += 1 }
        }
    }

    func feed<L: SocketEventLoop>(_ sim: SimulatorProcess, loop: L, policy: MarketDataPolicy,
                                  counter: Counter) throws -> MarketDataFeed<L, Counter> {
        var table = SymbolTable()
        _ = try table.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: sim.port).first)
        return MarketDataFeed(
            endpoints: [.init(address: address, host: "127.0.0.1:\(sim.port)", path: "/market/ws/btcusdt@aggTrade")],
            parser: BinanceStreamParser(symbols: BinanceSymbols(table)), loop: loop, policy: policy, sink: counter)
    }

    /// Runs the feed's duty cycle on the live clock until `done` or `seconds` pass.
    func run<L>(_ f: MarketDataFeed<L, Counter>, seconds: Double, until done: () -> Bool) throws {
        let clock = LiveClock()
        let deadline = Date().addingTimeInterval(seconds)
        while !done() && Date() < deadline {
            if try f.doWork(nowNs: clock.nowNs()) == 0 { usleep(200) }
        }
    }

    /// The same scenarios on both socket backends.
    @Test(arguments: ["uring", "poll"])
    func reconnectsAfterTheSimulatorDropsConnections(backend: String) throws {
        if backend == "uring" { try reconnectScenario(try URingLoop()) } else { try reconnectScenario(PollingSocketLoop()) }
    }

    @Test(arguments: ["uring", "poll"])
    func staleStreamWatchdogReconnects(backend: String) throws {
        if backend == "uring" { try staleScenario(try URingLoop()) } else { try staleScenario(PollingSocketLoop()) }
    }

    func reconnectScenario<L: SocketEventLoop>(_ loop: L) throws {
        let sim = try SimulatorProcess(seed: 5)
        defer { withExtendedLifetime(sim) {} }  // the simulator runs until the test ends
        let counter = Counter()
        defer { withExtendedLifetime(counter) {} }  // the feed holds it unowned
        var policy = MarketDataPolicy()
        policy.initialBackoffNs = 100_000_000  // 0.1 s → jittered 50–100 ms
        let f = try feed(sim, loop: loop, policy: policy, counter: counter)
        try run(f, seconds: 10) { counter.count >= 5 }
        #expect(counter.count >= 5)
        try sim.fault("drop_connections=now")
        let before = counter.count
        try run(f, seconds: 15) { f.reconnects >= 1 && counter.count >= before + 5 }
        #expect(f.reconnects >= 1 && f.failures >= 1)
        #expect(counter.count >= before + 5, "data flows again after the reconnect")
    }

    func staleScenario<L: SocketEventLoop>(_ loop: L) throws {
        let sim = try SimulatorProcess(seed: 5)
        defer { withExtendedLifetime(sim) {} }  // the simulator runs until the test ends
        let counter = Counter()
        defer { withExtendedLifetime(counter) {} }  // the feed holds it unowned
        var policy = MarketDataPolicy()
        policy.staleAfterNs = 1_000_000_000
        let f = try feed(sim, loop: loop, policy: policy, counter: counter)
        try run(f, seconds: 10) { counter.count >= 3 }
        try sim.fault("silent=true")  // half-open: the socket stays up, nothing is sent
        try run(f, seconds: 10) { f.staleReconnects >= 1 }
        #expect(f.staleReconnects >= 1)
        try sim.fault("silent=false")
        let before = counter.count
        try run(f, seconds: 10) { counter.count >= before + 3 }
        #expect(counter.count >= before + 3)
    }

    @Test func backoffDoublesWithJitterAndCaps() throws {
        let sim = try SimulatorProcess(seed: 5)
        defer { withExtendedLifetime(sim) {} }  // the simulator runs until the test ends
        let counter = Counter()
        defer { withExtendedLifetime(counter) {} }  // the feed holds it unowned
        let f = try feed(sim, loop: PollingSocketLoop(), policy: MarketDataPolicy(), counter: counter)
        for attempt in 0..<8 {
            let base = min(30_000_000_000, UInt64(1_000_000_000) << UInt64(attempt))
            let d = f.backoff(attempt: attempt)
            #expect(d >= base / 2 && d <= base, "attempt \(attempt): \(d) outside [\(base / 2), \(base)]")
        }
    }
}
