import Foundation
import Testing
import TicklineBinance
import TicklineCore
import TicklineEngine
import TicklineIO
import TicklineTestSupport

/// The engine's market-data path end to end against the real simulator binary on loopback, on
/// both socket backends: connect → (TLS) → WebSocket handshake → frames → Binance parser → core
/// events. `wss://` goes through a local TLS-terminating proxy whose CA the test generates.
@Suite(.serialized) struct MarketDataConnectionTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    struct Received {
        var trades = 0, klines = 0
        var prices: [Int64] = []
    }

    /// Polls `connection` until it has `trades` trades and `klines` klines, it closes, or 15 s pass.
    func receive<L: SocketEventLoop>(_ loop: L, _ connection: MarketDataConnection<L>, trades wantTrades: Int,
                                     klines wantKlines: Int) -> Received {
        var table = SymbolTable()
        _ = try? table.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        var parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        var r = Received()
        let deadline = Date().addingTimeInterval(15)
        while (r.trades < wantTrades || r.klines < wantKlines) && Date() < deadline {
            let n = loop.poll { c, data in
                connection.onCompletion(c, data, nowNs: 1, parser: &parser) { message in
                    guard case .market(let e) = message else { return }
                    switch e.body {
                    case .trade(let t):
                        r.trades += 1
                        r.prices.append(t.price.raw)
                    case .klineUpdate, .klineClosed: r.klines += 1
                    default: break
                    }
                }
            }
            if n == 0 { usleep(200) }
            if case .closed = connection.state { break }
        }
        return r
    }

    func streamScenario<L: SocketEventLoop>(_ loop: L, port: UInt16, security: StreamChannel.Security) throws
        -> (Received, MarketDataConnectionState)
    {
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
        let connection = MarketDataConnection(loop: loop, token: 1, address: address, host: "localhost:\(port)",
                                              path: "/market/stream?streams=btcusdt@aggTrade/btcusdt@kline_1m",
                                              security: security)
        try connection.start()
        let r = receive(loop, connection, trades: 20, klines: 2)
        connection.shutdown()
        return (r, connection.state)
    }

    func streamScenario(backend: String, port: UInt16, security: StreamChannel.Security) throws
        -> (Received, MarketDataConnectionState)
    {
        backend == "uring"
            ? try streamScenario(try URingLoop(), port: port, security: security)
            : try streamScenario(PollingSocketLoop(), port: port, security: security)
    }

    @Test(arguments: ["uring", "poll"])
    func receivesParsedTradesAndKlinesFromTheSimulator(backend: String) throws {
        let sim = try SimulatorProcess(seed: 3)
        defer { withExtendedLifetime(sim) {} }  // the simulator runs until the test ends
        let (r, state) = try streamScenario(backend: backend, port: sim.port, security: .plain)
        #expect(state == .open)
        #expect(r.trades >= 20 && r.klines >= 2)
        // The simulator starts BTCUSDT at 43 250.00 and walks a few ticks per step.
        #expect(r.prices.allSatisfy { $0 > 4_000_000 && $0 < 4_700_000 })
    }

    /// wss://: the same stream through TLS (SNI "localhost", chain and hostname verified against
    /// the test's CA); then a client trusting another CA must fail with the verification reason.
    @Test(arguments: ["uring", "poll"])
    func secureStreamThroughATLSProxy(backend: String) throws {
        let sim = try SimulatorProcess(seed: 4)
        let pki = try TestPKI()
        defer { pki.remove(); withExtendedLifetime(sim) {} }
        let proxy = try PortPrintingProcess(arguments: [
            "python3", Self.scripts.appendingPathComponent("tls_proxy.py").path, pki.serverCertificate, pki.serverKey,
            String(sim.port),
        ])
        defer { withExtendedLifetime(proxy) {} }
        let (r, state) = try streamScenario(backend: backend, port: proxy.port,
                                            security: .tls(hostname: "localhost", caFile: pki.caFile))
        #expect(state == .open)
        #expect(r.trades >= 20 && r.klines >= 2)
        #expect(r.prices.allSatisfy { $0 > 4_000_000 && $0 < 4_700_000 })
        let (_, refused) = try streamScenario(backend: backend, port: proxy.port,
                                              security: .tls(hostname: "localhost", caFile: pki.otherCAFile))
        guard case .closed(.tlsFailed(let reason)) = refused else {
            Issue.record("an untrusted certificate must fail the TLS handshake, got \(refused)")
            return
        }
        #expect(reason.contains("certificate verification failed"), "\(reason)")
    }

    @Test func refusedConnectionClosesWithTheErrno() throws {
        let loop = try URingLoop()
        // Port 1 on loopback: nothing listens there.
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: 1).first)
        let connection = MarketDataConnection(loop: loop, token: 9, address: address, host: "127.0.0.1", path: "/market/ws/x")
        try connection.start(connectTimeoutNs: 1_000_000_000)
        var parser = BinanceStreamParser(symbols: BinanceSymbols(SymbolTable()))
        for _ in 0..<100_000 where connection.state == .connecting {
            _ = loop.poll { c, d in connection.onCompletion(c, d, nowNs: 0, parser: &parser) { _ in } }
        }
        #expect(connection.state == .closed(reason: .connectFailed(errno: ECONNREFUSED)))
    }
}
