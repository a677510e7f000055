import TicklineBinance
import TicklineCore
import TicklineIO
import TicklineRing

/// A WebSocket URL of the feed, resolved once (at start-up; reconnects reuse the address).
public struct MarketDataEndpoint: Sendable {
    public var address: SocketAddress
    /// The Host header (and, under TLS, the SNI name checked against the certificate).
    public var host: String
    public var path: String
    public var security: StreamChannel.Security
    public init(address: SocketAddress, host: String, path: String, security: StreamChannel.Security = .plain) {
        self.address = address
        self.host = host
        self.path = path
        self.security = security
    }
}

/// Reconnect policy of the feed.
public struct MarketDataPolicy: Sendable {
    public var initialBackoffNs: UInt64 = 1_000_000_000
    public var maxBackoffNs: UInt64 = 30_000_000_000
    public var staleAfterNs: UInt64 = 10_000_000_000
    /// Reconnect this long after connecting, before the venue's own 24 h cut.
    public var maxConnectionAgeNs: UInt64 = 23 * 3_600_000_000_000
    public var connectTimeoutNs: UInt64 = 5_000_000_000
    /// Connect, TLS and WebSocket handshakes together: a server that accepts and then says
    /// nothing is dropped after this.
    public var handshakeTimeoutNs: UInt64 = 10_000_000_000
    public init() {}
}

/// Where a `MarketDataFeed` hands each parsed message. A generic parameter, not a closure: the
/// call is static (specialised and inlinable), with no context to retain per message.
public protocol MarketDataSink: AnyObject {
    func marketData(_ message: BinanceStreamMessage)
}

/// The parse stage's market-data sockets as an agent: one I/O loop (io_uring by default, or the
/// polling backend), one WebSocket per stream
/// URL, each reconnected on failure with exponential backoff and jitter (1 s → 30 s), a
/// stale-stream watchdog (no message for `staleAfterNs` → reconnect), and a proactive reconnect
/// before Binance's 24 h cut. Parsed messages go to `deliver`; everything is counted.
///
/// Time comes from `doWork(nowNs:)`, so the policy is testable with any clock. Backfill of the
/// klines missed during an outage is the owner's job when `reconnects` grows (REST, off this
/// thread).
///
/// The sink is held `unowned(unsafe)` (it usually owns the feed): it must outlive the feed.
public final class MarketDataFeed<Loop: SocketEventLoop, Sink: MarketDataSink>: Agent {
    public let roleName = "feed"
    public let endpoints: [MarketDataEndpoint]
    public let policy: MarketDataPolicy
    public var parser: BinanceStreamParser
    public private(set) var connections: [MarketDataConnection<Loop>] = []
    public private(set) var reconnects = 0
    public private(set) var staleReconnects = 0
    public private(set) var ageReconnects = 0
    public private(set) var handshakeTimeouts = 0
    public private(set) var failures = 0
    public private(set) var deliveredMessages = 0
    /// Completions that arrived for a connection already replaced.
    public private(set) var staleCompletions = 0
    /// REST on the same loop (history, backfill): its tokens are routed to it, and it gets a
    /// tick per duty cycle.
    public var rest: HTTPConnectionPool<Loop>?
    var generation: UInt32 = 0
    let loop: Loop
    unowned(unsafe) let sink: Sink
    var attempts: [Int]
    var retryAtNs: [UInt64]
    var connectedAtNs: [UInt64]
    var random: UInt64

    public init(endpoints: [MarketDataEndpoint], parser: BinanceStreamParser, loop: Loop, policy: MarketDataPolicy = .init(),
                seed: UInt64 = 0x5EED, sink: Sink) {
        self.endpoints = endpoints
        self.parser = parser
        self.loop = loop
        self.policy = policy
        self.sink = sink
        attempts = Array(repeating: 0, count: endpoints.count)
        retryAtNs = Array(repeating: 0, count: endpoints.count)
        connectedAtNs = Array(repeating: 0, count: endpoints.count)
        random = seed
        for (i, e) in endpoints.enumerated() {
            connections.append(MarketDataConnection(loop: loop, token: UInt32(i), address: e.address, host: e.host, path: e.path,
                                                    security: e.security))
        }
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        var work = loop.poll { c, data in
            if let rest, rest.owns(c.token) {
                rest.onCompletion(c, data, nowNs: nowNs)
                return
            }
            // Low 16 bits: the endpoint; high 16: the connection's generation. A completion of a
            // connection already replaced (its socket closed under an operation in flight) is
            // dropped, never fed to its successor.
            let i = Int(c.token & 0xFFFF)
            guard i < connections.count, c.token == connections[i].token else {
                staleCompletions += 1
                return
            }
            connections[i].onCompletion(c, data, nowNs: nowNs, parser: &parser) { message in
                deliveredMessages &+= 1
                sink.marketData(message)
            }
        }
        if let rest { work += rest.tick(nowNs: nowNs) }
        for i in connections.indices {
            let c = connections[i]
            switch c.state {
            case .idle:
                work += connect(i, nowNs: nowNs)
            case .closed:
                if retryAtNs[i] == 0 {  // just closed: schedule the next attempt
                    failures += 1
                    retryAtNs[i] = nowNs &+ backoff(attempt: attempts[i])
                    attempts[i] += 1
                } else if nowNs >= retryAtNs[i] {
                    reconnects += 1
                    work += connect(i, nowNs: nowNs)
                }
            case .open:
                if c.messages > 0 { attempts[i] = 0 }
                // Ingress times are read after this duty cycle's `nowNs`: never subtract past zero.
                let last = max(c.lastMessageNs, connectedAtNs[i])
                let silentNs = nowNs > last ? nowNs - last : 0
                if silentNs > policy.staleAfterNs {
                    staleReconnects += 1
                    restart(i, nowNs: nowNs)
                    work += 1
                } else if nowNs &- connectedAtNs[i] > policy.maxConnectionAgeNs {
                    ageReconnects += 1
                    restart(i, nowNs: nowNs)
                    work += 1
                }
            case .connecting, .tlsHandshaking, .handshaking:
                if nowNs > connectedAtNs[i], nowNs - connectedAtNs[i] > policy.handshakeTimeoutNs {
                    handshakeTimeouts += 1
                    c.abort(.handshakeTimedOut)  // closed: the next pass schedules a backed-off retry
                    work += 1
                }
            }
        }
        return work
    }

    /// Exponential backoff with jitter: the delay doubles from the initial value up to the
    /// maximum, then a random 50–100 % of it, so many clients do not reconnect in lockstep.
    public func backoff(attempt: Int) -> UInt64 {
        let base = min(policy.maxBackoffNs, policy.initialBackoffNs << UInt64(min(attempt, 16)))
        random ^= random << 13
        random ^= random >> 7
        random ^= random << 17
        return base / 2 + (random % (base / 2 + 1))
    }

    func connect(_ i: Int, nowNs: UInt64) -> Int {
        generation = (generation &+ 1) & 0xFFFF
        let e = endpoints[i]
        let c = MarketDataConnection(loop: loop, token: UInt32(i) | generation << 16, address: e.address, host: e.host,
                                     path: e.path, security: e.security)
        connections[i] = c
        retryAtNs[i] = 0
        connectedAtNs[i] = nowNs
        do {
            try c.start(connectTimeoutNs: policy.connectTimeoutNs)
        } catch {
            retryAtNs[i] = 0  // the closed state schedules the retry
        }
        return 1
    }

    func restart(_ i: Int, nowNs: UInt64) {
        connections[i].shutdown()
        _ = connect(i, nowNs: nowNs)
        reconnects += 1
    }
}
