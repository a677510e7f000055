import Foundation
import Testing
import TicklineBinance
import TicklineCore
import TicklineEngine
import TicklineIO

/// The engine's market-data path end to end against the real simulator binary on loopback:
/// io_uring connect → WebSocket handshake → frames → Binance parser → core events.
@Suite struct MarketDataConnectionTests {
    @Test func receivesParsedTradesAndKlinesFromTheSimulator() throws {
        let sim = try SimulatorProcess(seed: 3)
        defer { withExtendedLifetime(sim) {} }  // the simulator runs until the test ends
        let port = sim.port
        var table = SymbolTable()
        _ = try table.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        var parser = BinanceStreamParser(symbols: BinanceSymbols(table))
        let loop = try URingLoop()
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
        let connection = MarketDataConnection(loop: loop, token: 1, address: address, host: "127.0.0.1:\(port)",
                                              path: "/market/stream?streams=btcusdt@aggTrade/btcusdt@kline_1m")
        try connection.start()
        var trades = 0, klines = 0, prices: [Int64] = []
        let deadline = Date().addingTimeInterval(15)
        while (trades < 20 || klines < 2) && Date() < deadline {
            let n = loop.poll { c, data in
                connection.onCompletion(c, data, nowNs: 1, parser: &parser) { message in
                    guard case .market(let e) = message else { return }
                    switch e.body {
                    case .trade(let t):
                        trades += 1
                        prices.append(t.price.raw)
                    case .klineUpdate, .klineClosed: klines += 1
                    default: break
                    }
                }
            }
            if n == 0 { usleep(200) }
            if case .closed = connection.state { break }
        }
        #expect(connection.state == .open)
        #expect(trades >= 20 && klines >= 2)
        #expect(connection.parseErrors == 0)
        // The simulator starts BTCUSDT at 43 250.00 and walks a few ticks per step.
        #expect(prices.allSatisfy { $0 > 4_000_000 && $0 < 4_700_000 })
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
