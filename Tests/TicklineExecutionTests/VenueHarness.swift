import Foundation
import Testing
import TicklineBinance
import TicklineCore
import TicklineIO
@testable import TicklineExecution
import TicklineTestSupport

#if canImport(Glibc)
import Glibc
#endif

enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case uring, poll
    var testDescription: String { rawValue }
}

/// The test's side of a venue client: the simulator (`tickline sim` on 127.0.0.1, the demo
/// account `demo-key`/`demo-secret`), a `BinanceOrderClient` on a loop of its own, and a driver
/// that polls the loop on the test thread (the client owns everything on it, so `doWork`).
final class VenueHarness<Loop: SocketEventLoop, Clock: NanoClock> {
    let sim: SimulatorProcess
    let client: BinanceOrderClient<Loop, Clock>
    let symbols: SymbolTable
    /// Each symbol's tick size, at its price scale.
    let ticks: [Price]
    var events: [OrderClientEvent] = []
    let live = LiveClock()

    init(sim: SimulatorProcess, loop: Loop, clock: Clock, limits: RateLimitConfiguration = RateLimitConfiguration(),
         requestTimeoutNs: UInt64 = 5_000_000_000) throws
    {
        self.sim = sim
        let info = try Array(sim.request("GET", "/fapi/v1/exchangeInfo").utf8).withUnsafeBytes {
            try BinanceREST.exchangeInfo($0)
        }
        symbols = try SymbolTable(info.map {
            SymbolTable.Entry(name: $0.symbol, priceScale: $0.priceScale, quantityScale: $0.quantityScale)
        })
        ticks = info.map { Price($0.tickSize, scale: $0.priceScale)! }
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: sim.port).first)
        let pool = HTTPConnectionPool(loop: loop, address: address, host: "127.0.0.1:\(sim.port)", tokenBase: 0x4000,
                                      maxConnections: 2, connectTimeoutNs: 2_000_000_000,
                                      requestTimeoutNs: requestTimeoutNs)
        client = try BinanceOrderClient(pool: pool, clock: clock, account: AccountID(0), apiKey: "demo-key",
                                        secret: Array("demo-secret".utf8), symbols: symbols,
                                        ids: ClientOrderIDs(prefix: "tl", account: AccountID(0),
                                                            firstSequence: UInt64(LiveClock().wallTimeMs())),
                                        limits: limits)
        client.onEvent = { [unowned self] in events.append($0) }
    }

    deinit {
        client.shutDown()
        for _ in 0..<1000 where client.pool.retiredOperations > 0 { _ = client.doWork(nowNs: live.nowNs()) }
    }

    func id(_ name: String) throws -> SymbolID { try #require(symbols.id(of: name)) }

    /// Drives the client (bounded by `seconds` of wall time) until `done`; false on timeout.
    @discardableResult
    func run(seconds: Double, until done: () -> Bool) -> Bool {
        let end = live.nowNs() + UInt64(seconds * 1e9)
        while !done() {
            if live.nowNs() > end { return false }
            if client.doWork(nowNs: live.nowNs()) == 0 { usleep(100) }  // leave a core to the simulator
        }
        return true
    }

    /// Issues one call and drives the client until it is answered (≤ `seconds`).
    func call<T>(seconds: Double = 10, _ issue: (@escaping (T) -> Void) -> Void) throws -> T {
        var result: T?
        var answers = 0
        issue {
            result = $0
            answers += 1
        }
        run(seconds: seconds) { result != nil }
        #expect(answers <= 1, "a completion is called once")
        return try #require(result, "no answer within \(seconds) s")
    }

    var backoffs: [Int64] { events.compactMap { if case .backoff(let ms) = $0 { ms } else { nil } } }
    var waits: [(VenueEndpoint, Int64, RateLimitReason)] {
        events.compactMap { if case .rateLimitWait(let e, let ms, let r) = $0 { (e, ms, r) } else { nil } }
    }
}

/// Runs `body` with a fresh loop of the backend.
func withLoop(_ backend: Backend, _ body: (any SocketEventLoop) throws -> Void) throws {
    switch backend {
    case .uring: try body(try URingLoop(bufferCount: 16, bufferSize: 16 * 1024))
    case .poll: try body(PollingSocketLoop())
    }
}
