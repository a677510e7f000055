import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import TicklineConfig
import TicklineControl
import TicklineCore
import TicklineEngine
import TicklineRing

/// `tickline bench control`: the control plane alone on loopback, over a made-up engine state
/// (two symbols, positions, portfolios, signals, prices), for load generators in other processes
/// (`scripts/control-bench.py`: wrk on the REST API, 1 000 WebSocket clients). It prints
/// `listening PORT TOKEN` (a trader token), then reads commands on stdin:
///
///   broadcast N INTERVAL_US   N messages `{"type":"bench","seq":i,"t_ns":CLOCK_MONOTONIC}` to every
///                             client, one every INTERVAL_US µs; prints `broadcast done` after
///   stats                     prints the hub's counters as one JSON line
///   quit                      stops
struct BenchControl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "control",
        abstract: "Serve the control plane over a made-up engine state for REST / WebSocket load tests (see scripts/control-bench.py).")

    @Option(help: "Messages a WebSocket client may have queued before it counts as too slow.")
    var sendQueue = 4096

    func run() async throws {
        var symbols = SymbolTable()
        _ = try symbols.intern(.init(name: "BTCUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        _ = try symbols.intern(.init(name: "ETHUSDT", priceScale: DecimalScale(places: 2), quantityScale: DecimalScale(places: 3)))
        let state = EngineState(symbols: symbols)
        let clock = LiveClock()
        Self.publishSession(state, nowMs: clock.wallTimeMs())
        let prices = PriceCache(symbolCount: 2)
        prices.update(SymbolID(0), nowNs: clock.nowNs(), lastTrade: Price(raw: 4_325_010), mark: Price(raw: 4_325_000),
                      bid: Price(raw: 4_325_000), ask: Price(raw: 4_325_010))
        prices.update(SymbolID(1), nowNs: clock.nowNs(), lastTrade: Price(raw: 230_012), mark: Price(raw: 230_010),
                      bid: Price(raw: 230_010), ask: Price(raw: 230_012))
        let ring = SPSCRing<Command>(capacity: 1024, name: "control→risk (bench)")
        var secretBytes = [UInt8](repeating: 0, count: 32)
        for i in secretBytes.indices { secretBytes[i] = UInt8.random(in: 0...255) }
        let authority = await TokenAuthority(secret: try JWTSecret(bytes: secretBytes, source: "bench"))
        var settings = ControlSettings()
        settings.port = 0
        settings.wsSendQueue = sendQueue
        settings.rateLimitPerSecond = 0  // one load generator on one address
        var logger = Logger(label: "bench") { StreamLogHandler.standardError(label: $0) }
        logger.logLevel = .warning
        let data = ControlData(state: state, prices: prices, indicators: IndicatorCache(symbolCount: 2), intervals: [.m1],
                               store: nil, commands: CommandGate(ring: ring, nowNs: { LiveClock().nowNs() }),
                               accounts: [.init(id: AccountID(0), name: "bench", leverage: 10, tradingEnabled: true)],
                               globalTradingEnabled: true, version: ticklineVersion, wallTimeMs: { LiveClock().wallTimeMs() })
        let plane = ControlPlane(settings: settings, data: data, authority: authority, checks: [], logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: plane.apiServer(port: 0))], logger: logger))
        let server = Task { try await group.run() }
        var port = 0
        for _ in 0..<400 where port == 0 {
            try await Task.sleep(for: .milliseconds(10))
            port = plane.apiPort.load(ordering: .relaxed)
        }
        let token = try await authority.issue(user: "bench", role: .trader)
        say("listening \(port) \(token)")
        while let line = readLine() {
            let words = line.split(separator: " ")
            if words.first == "broadcast", words.count == 3, let n = Int(words[1]), let us = Int(words[2]) {
                for seq in 0..<n {
                    let json = "{\"type\":\"bench\",\"seq\":\(seq),\"t_ns\":\(clock.nowNs())}"
                    plane.hub.broadcast(EventMessage(type: "bench", account: nil, json: json))
                    if us > 0 { try await Task.sleep(for: .microseconds(us)) }
                }
                say("broadcast done")
            } else if words.first == "stats" {
                let s = plane.hub.stats
                say("{\"active\":\(s.active),\"connects\":\(s.connects),\"queued\":\(s.messagesQueued),\"slow\":\(s.closedSlow),"
                    + "\"timeouts\":\(s.closedByTimeout),\"cache_hit_rate\":\(plane.data.cache.stats.hitRate)}")
            } else if words.first == "quit" {
                break
            }
        }
        await group.triggerGracefulShutdown()
        _ = try? await server.value
    }

    func say(_ line: String) {
        var text = line + "\n"
        text.withUTF8 { _ = write(1, $0.baseAddress, $0.count) }
    }

    /// Two open positions, a portfolio, 200 signals.
    static func publishSession(_ state: EngineState, nowMs: Int64) {
        func publish(_ body: EngineEvent.Body) { state.publish(EngineEvent(producer: .risk, timeNs: 1, body: body)) }
        for (s, price) in [(0, 4_325_010), (1, 230_012)] as [(UInt16, Int64)] {
            publish(.tradeOpened(TradeOpened(ingressNs: 1, entryTimeMs: nowMs, positionID: UInt64(s + 1), account: AccountID(0),
                                             symbol: SymbolID(s), side: .buy, quantity: Quantity(raw: 100),
                                             entryPrice: Price(raw: price))))
        }
        publish(.accountUpdated(AccountSnapshot(timeNs: 1, timeMs: nowMs, account: AccountID(0),
                                                equity: Price(raw: 1_000_000_000_000), cashBalance: Price(raw: 1_000_000_000_000),
                                                marginUsed: Price(raw: 0), freeMargin: Price(raw: 1_000_000_000_000),
                                                unrealizedPnL: .zero, positionCount: 2)))
        for i in 0..<200 {
            publish(.signalGenerated(Signal(ingressNs: 1, signalID: UInt64(i), eventTimeMs: nowMs, symbol: SymbolID(UInt16(i % 2)),
                                            interval: .m1, direction: i % 2 == 0 ? .long : .short, scoreBp: 5_000,
                                            confidenceBp: 7_000, entryPrice: Price(raw: 4_325_010))))
        }
    }
}
