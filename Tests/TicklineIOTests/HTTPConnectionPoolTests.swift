import Foundation
import Glibc
import Testing
import TicklineCore
@testable import TicklineIO
import TicklineTestSupport

/// The pool against `Scripts/http_keepalive_server.py` (Python `http.server`, HTTP/1.1, plain or
/// TLS with a CA the test makes), on 127.0.0.1 only, on both I/O backends. The server stamps
/// every response with its connection number, so "N requests, one TCP connection" is read from
/// the server's side, not inferred from the pool's counters.
@Suite(.serialized) struct HTTPConnectionPoolTests {
    enum Backend: String, CaseIterable, CustomTestStringConvertible {
        case uring, poll
        var testDescription: String { rawValue }
    }

    /// What a completion saw, copied out of the call (the body view dies with it).
    enum Outcome: Equatable {
        case response(status: Int, headers: [String: String], body: [UInt8])
        case failure(HTTPPoolError)

        var body: [UInt8]? { if case .response(_, _, let b) = self { b } else { nil } }
        var status: Int? { if case .response(let s, _, _) = self { s } else { nil } }
        var error: HTTPPoolError? { if case .failure(let e) = self { e } else { nil } }
        func header(_ name: String) -> String? { if case .response(_, let h, _) = self { h[name] } else { nil } }
        var text: String? { body.map { String(decoding: $0, as: UTF8.self) } }
    }

    final class Ticket {
        var outcome: Outcome?
        var calls = 0
    }

    struct Stats: Equatable {
        var open = 0, idle = 0, inUse = 0, replaced = 0, requests = 0, responses = 0, failures = 0, retries = 0
        var queued = 0, maxQueueDepth = 0, connectsStarted = 0, idleTimeouts = 0, closedByResponse = 0
    }

    /// The test's side of one pool, whatever the loop type.
    protocol Driver: AnyObject {
        func request(_ method: String, _ path: String, body: [UInt8], timeoutNs: UInt64?) -> Ticket
        /// `count` requests, each issued from the previous one's completion.
        func chain(_ path: String, count: Int) -> [Ticket]
        /// Drives the pool (bounded: `seconds` of wall time) until `done`; false on timeout.
        func run(seconds: Double, until done: () -> Bool) -> Bool
        var stats: Stats { get }
        /// Completions of other tokens on the same loop, seen by the owner's router.
        var foreign: [URingCompletion] { get }
        func startForeignConnect(port: UInt16, token: UInt32) throws
    }

    final class PoolDriver<L: SocketEventLoop>: Driver {
        let loop: L
        let pool: HTTPConnectionPool<L>
        /// Route like the parse stage (poll once, dispatch by token) instead of `pool.doWork`.
        let routed: Bool
        var foreign: [URingCompletion] = []
        var foreignFd: Int32 = -1
        let clock = LiveClock()

        init(loop: L, pool: HTTPConnectionPool<L>, routed: Bool) {
            self.loop = loop
            self.pool = pool
            self.routed = routed
        }

        deinit {
            pool.shutDown()
            for _ in 0..<1000 where pool.retiredOperations > 0 { _ = pool.doWork(nowNs: clock.nowNs()) }
            if foreignFd >= 0 { Posix.close(foreignFd) }
        }

        static func copy(_ result: Result<HTTPPoolResponse, HTTPPoolError>) -> Outcome {
            switch result {
            case .success(let r):
                .response(status: r.status, headers: Dictionary(r.headers.map { ($0.name, $0.value) }) { a, _ in a },
                          body: Array(r.body))
            case .failure(let e): .failure(e)
            }
        }

        func request(_ method: String, _ path: String, body: [UInt8], timeoutNs: UInt64?) -> Ticket {
            let ticket = Ticket()
            pool.request(method: method, path: path, body: body, timeoutNs: timeoutNs) { result in
                ticket.calls += 1
                ticket.outcome = Self.copy(result)
            }
            return ticket
        }

        func chain(_ path: String, count: Int) -> [Ticket] {
            let tickets = (0..<count).map { _ in Ticket() }
            func issue(_ i: Int) {
                pool.request(method: "GET", path: path) { result in
                    tickets[i].calls += 1
                    tickets[i].outcome = Self.copy(result)
                    if i + 1 < count { issue(i + 1) }
                }
            }
            issue(0)
            return tickets
        }

        func run(seconds: Double, until done: () -> Bool) -> Bool {
            let end = clock.nowNs() + UInt64(seconds * 1e9)
            for _ in 0..<5_000_000 {
                if done() { return true }
                let now = clock.nowNs()
                if now > end { return false }
                var work: Int
                if routed {
                    work = loop.poll { c, data in
                        if pool.owns(c.token) { pool.onCompletion(c, data, nowNs: now) } else { foreign.append(c) }
                    }
                    work += pool.tick(nowNs: now)
                } else {
                    work = pool.doWork(nowNs: now)
                }
                if work == 0 { usleep(50) }  // leave the CPU to the server (2 cores)
            }
            return done()
        }

        var stats: Stats {
            Stats(open: pool.open, idle: pool.idle, inUse: pool.inUse, replaced: pool.replaced, requests: pool.requests,
                  responses: pool.responses, failures: pool.failures, retries: pool.retries, queued: pool.queued,
                  maxQueueDepth: pool.maxQueueDepth, connectsStarted: pool.connectsStarted,
                  idleTimeouts: pool.idleTimeouts, closedByResponse: pool.closedByResponse)
        }

        func startForeignConnect(port: UInt16, token: UInt32) throws {
            let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
            foreignFd = try Posix.tcpSocket(family: address.family)
            loop.connect(fd: foreignFd, to: address, token: token, timeoutNs: 2_000_000_000)
        }
    }

    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Scripts/http_keepalive_server.py").path

    func startServer(tls pki: TestPKI? = nil) throws -> PortPrintingProcess {
        var arguments = ["python3", Self.script]
        if let pki { arguments += ["--tls", pki.serverCertificate, pki.serverKey] }
        return try PortPrintingProcess(arguments: arguments)
    }

    func makeDriver(_ backend: Backend, port: UInt16, security: StreamChannel.Security = .plain,
                    maxConnections: Int = 4, requestTimeoutNs: UInt64 = 5_000_000_000,
                    idleTimeoutNs: UInt64 = 50_000_000_000, routed: Bool = false) throws -> any Driver {
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
        switch backend {
        case .uring:
            let loop = try URingLoop(bufferCount: 16, bufferSize: 16 * 1024)
            return PoolDriver(loop: loop, pool: HTTPConnectionPool(
                loop: loop, address: address, host: "127.0.0.1:\(port)", security: security, tokenBase: 0x8000,
                maxConnections: maxConnections, connectTimeoutNs: 2_000_000_000, requestTimeoutNs: requestTimeoutNs,
                idleTimeoutNs: idleTimeoutNs), routed: routed)
        case .poll:
            let loop = PollingSocketLoop()
            return PoolDriver(loop: loop, pool: HTTPConnectionPool(
                loop: loop, address: address, host: "127.0.0.1:\(port)", security: security, tokenBase: 0x8000,
                maxConnections: maxConnections, connectTimeoutNs: 2_000_000_000, requestTimeoutNs: requestTimeoutNs,
                idleTimeoutNs: idleTimeoutNs), routed: routed)
        }
    }

    /// Issues a request and drives the pool until its completion (≤ 5 s).
    func get(_ d: any Driver, _ path: String, method: String = "GET", body: [UInt8] = [],
             timeoutNs: UInt64? = nil) -> Outcome? {
        let t = d.request(method, path, body: body, timeoutNs: timeoutNs)
        _ = d.run(seconds: 5) { t.outcome != nil }
        #expect(t.calls <= 1, "a completion is called once")
        return t.outcome
    }

    static func pattern(_ n: Int) -> [UInt8] { (0..<n).map { UInt8($0 % 251) } }

    // MARK: - Token space

    @Test func tokenRangeAndGeneration() throws {
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: 9).first)
        let pool = HTTPConnectionPool(loop: PollingSocketLoop(), address: address, host: "x", tokenBase: 0x8000,
                                      maxConnections: 4)
        #expect(pool.owns(0x8000))
        #expect(pool.owns(0x8003 | 0x1234 << 16))
        #expect(!pool.owns(0x8004))
        #expect(!pool.owns(0x7FFF))
        #expect(!pool.owns(3 | 0x8000 << 16), "the generation bits are not the index")
    }

    // MARK: - Keep-alive

    /// N sequential requests travel on one TCP connection (the server's own count), with the
    /// owner routing completions by token on a loop it shares with another connection.
    @Test(arguments: Backend.allCases) func sequentialRequestsReuseOneConnection(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let (other, otherPort, _) = try loopbackListener()  // the other connection's peer
        defer { close(other) }
        let d = try makeDriver(backend, port: server.port, routed: true)
        try d.startForeignConnect(port: otherPort, token: 7)
        for i in 1...5 {
            let o = try #require(get(d, "/length?n=100"))
            #expect(o.status == 200)
            #expect(o.body == Self.pattern(100))
            #expect(o.header("x-connection-id") == "1")
            #expect(o.header("x-connections") == "1")
            #expect(o.header("x-request-on-connection") == "\(i)")
            #expect(d.stats.open == 1 && d.stats.idle == 1 && d.stats.inUse == 0)
        }
        #expect(d.run(seconds: 2) { !d.foreign.isEmpty })
        #expect(d.foreign.allSatisfy { $0.token == 7 }, "the other connection's completions stay with its owner")
        let s = d.stats
        #expect(s.requests == 5 && s.responses == 5 && s.failures == 0 && s.connectsStarted == 1 && s.replaced == 0)
    }

    /// Requests issued from the previous one's completion still reuse the connection: the pool
    /// dispatches them after the completion returns, when the connection is idle again.
    @Test(arguments: Backend.allCases) func requestsIssuedFromCompletionsReuseTheConnection(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        let tickets = d.chain("/length?n=10", count: 4)
        #expect(d.run(seconds: 5) { tickets.allSatisfy { $0.outcome != nil } })
        #expect(tickets.map { $0.outcome?.header("x-connection-id") } == ["1", "1", "1", "1"])
        #expect(tickets.map { $0.outcome?.header("x-request-on-connection") } == ["1", "2", "3", "4"])
        #expect(tickets.allSatisfy { $0.calls == 1 })
        #expect(d.stats.connectsStarted == 1)
    }

    /// Bodies larger than one receive buffer, chunked and with Content-Length, and an empty one.
    @Test(arguments: Backend.allCases) func chunkedAndContentLengthBodies(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        let chunked = try #require(get(d, "/chunked?n=100000"))
        #expect(chunked.header("transfer-encoding") == "chunked")
        #expect(chunked.body == Self.pattern(100_000))
        let length = try #require(get(d, "/length?n=200000"))
        #expect(length.header("content-length") == "200000")
        #expect(length.body == Self.pattern(200_000))
        let empty = try #require(get(d, "/length?n=0"))
        #expect(empty.status == 200 && empty.body == [])
        #expect([chunked, length, empty].map { $0.header("x-connection-id") } == ["1", "1", "1"])
    }

    /// Six slow requests with four connections allowed: four connections open at once, two
    /// requests wait, and the server sees exactly four connections.
    @Test(arguments: Backend.allCases) func parallelRequestsOpenUpToMaxAndQueueTheRest(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port, maxConnections: 4)
        let tickets = (0..<6).map { _ in d.request("GET", "/slow?n=300", body: [], timeoutNs: nil) }
        var s = d.stats
        #expect(s.open == 4 && s.inUse == 4 && s.queued == 2 && s.maxQueueDepth == 2 && s.connectsStarted == 4)
        #expect(d.run(seconds: 5) { tickets.allSatisfy { $0.outcome != nil } })
        #expect(tickets.allSatisfy { $0.outcome?.status == 200 })
        #expect(Set(tickets.compactMap { $0.outcome?.header("x-connection-id") }) == ["1", "2", "3", "4"])
        s = d.stats
        #expect(s.open == 4 && s.idle == 4 && s.queued == 0 && s.responses == 6 && s.connectsStarted == 4)
    }

    // MARK: - Dead connections

    /// The server closes a keep-alive connection after 100 ms idle: the pool sees it while
    /// idle (its receive is armed), and the next request succeeds on a replacement.
    @Test(arguments: Backend.allCases) func serverClosedIdleConnectionIsReplaced(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        #expect(get(d, "/idle-close?n=100")?.text == "ok")
        #expect(d.stats.open == 1)
        #expect(d.run(seconds: 3) { d.stats.open == 0 }, "the close is noticed without a request")
        #expect(d.stats.replaced == 0)
        let next = try #require(get(d, "/length?n=5"))
        #expect(next.status == 200)
        #expect(next.header("x-connection-id") == "2")
        let s = d.stats
        #expect(s.replaced == 1 && s.retries == 0 && s.failures == 0)
    }

    /// The server reads a GET on a reused connection and closes without answering: the pool
    /// retries it once on a fresh connection, where it succeeds.
    @Test(arguments: Backend.allCases) func getIsRetriedOnceWhenReusedConnectionDies(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        #expect(get(d, "/length?n=1")?.header("x-connection-id") == "1")
        let o = try #require(get(d, "/flaky"))
        #expect(o.text == "flaky ok")
        #expect(o.header("x-connection-id") == "2")
        #expect(o.header("x-request-on-connection") == "1")
        let s = d.stats
        #expect(s.retries == 1 && s.replaced == 1 && s.failures == 0 && s.responses == 2)
        #expect(get(d, "/stats")?.text == "GET /flaky=2 POST /flaky=0")
    }

    /// The same for a POST: never retried (it may have been executed), the error surfaces,
    /// and the server saw it exactly once.
    @Test(arguments: Backend.allCases) func postIsNotRetried(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        #expect(get(d, "/length?n=1")?.status == 200)
        let o = try #require(get(d, "/flaky", method: "POST", body: Array("symbol=BTCUSDT".utf8)))
        #expect(o.error == .closedBeforeResponse)
        #expect(d.stats.retries == 0 && d.stats.failures == 1)
        #expect(get(d, "/stats")?.text == "GET /flaky=0 POST /flaky=1")
    }

    @Test(arguments: Backend.allCases) func refusedConnectFails(_ backend: Backend) throws {
        let (listener, port, _) = try loopbackListener()
        close(listener)  // nothing listens on the port now
        let d = try makeDriver(backend, port: port)
        let o = try #require(get(d, "/length?n=1"))
        #expect(o.error == .connectFailed(errno: ECONNREFUSED))
        #expect(d.stats.open == 0 && d.stats.failures == 1)
    }

    // MARK: - Timeouts and Connection: close

    /// A server that never answers: the request times out (and the connection is dropped), a
    /// request queued behind it times out while waiting, and the pool serves the next one.
    @Test(arguments: Backend.allCases) func requestTimesOutAgainstSilentServer(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port, maxConnections: 1)
        let clock = LiveClock()
        let start = clock.nowNs()
        let silent = d.request("GET", "/never", body: [], timeoutNs: 300_000_000)
        let waiting = d.request("GET", "/length?n=1", body: [], timeoutNs: 150_000_000)
        #expect(d.stats.queued == 1)
        #expect(d.run(seconds: 5) { silent.outcome != nil && waiting.outcome != nil })
        let elapsedNs = clock.nowNs() - start
        #expect(silent.outcome?.error == .timedOut)
        #expect(waiting.outcome?.error == .timedOut)
        #expect(elapsedNs >= 300_000_000 && elapsedNs < 2_000_000_000)
        #expect(d.stats.open == 0 && d.stats.queued == 0 && d.stats.failures == 2)
        let next = try #require(get(d, "/length?n=3"))
        #expect(next.body == Self.pattern(3))
        #expect(next.header("x-connection-id") == "2")
    }

    /// `Connection: close` on a response: delivered, then the connection is closed, and the
    /// next request opens a new one (not counted as a replacement of a dead connection).
    @Test(arguments: Backend.allCases) func connectionCloseResponseClosesTheConnection(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port)
        let o = try #require(get(d, "/close"))
        #expect(o.text == "bye" && o.header("connection") == "close")
        #expect(d.stats.open == 0 && d.stats.closedByResponse == 1)
        #expect(get(d, "/length?n=2")?.header("x-connection-id") == "2")
        #expect(d.stats.replaced == 0 && d.stats.connectsStarted == 2)
    }

    /// Idle connections older than `idleTimeoutNs` are closed by the pool itself.
    @Test(arguments: Backend.allCases) func idleConnectionsAreClosedAfterIdleTimeout(_ backend: Backend) throws {
        let server = try startServer()
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port, idleTimeoutNs: 200_000_000)
        #expect(get(d, "/length?n=1")?.status == 200)
        #expect(d.stats.idle == 1)
        #expect(d.run(seconds: 3) { d.stats.open == 0 })
        #expect(d.stats.idleTimeouts == 1 && d.stats.replaced == 0)
    }

    // MARK: - TLS

    /// Keep-alive over TLS (a CA made by the test, the server's certificate for localhost).
    @Test(arguments: Backend.allCases) func keepAliveOverTLS(_ backend: Backend) throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try startServer(tls: pki)
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port, security: .tls(hostname: "localhost", caFile: pki.caFile))
        let first = try #require(get(d, "/length?n=100"))
        #expect(first.body == Self.pattern(100))
        let chunked = try #require(get(d, "/chunked?n=50000"))
        #expect(chunked.body == Self.pattern(50_000))
        let third = try #require(get(d, "/length?n=20000"))
        #expect(third.body == Self.pattern(20_000))
        #expect([first, chunked, third].map { $0.header("x-connection-id") } == ["1", "1", "1"])
        #expect(third.header("x-connections") == "1")
        #expect(d.stats.connectsStarted == 1 && d.stats.failures == 0)
    }

    /// A name the certificate does not carry (only SNI and the check use it; the connection
    /// goes to 127.0.0.1): the request fails with the TLS reason, and is not retried.
    @Test(arguments: Backend.allCases) func wrongHostnameFailsAsTLSError(_ backend: Backend) throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try startServer(tls: pki)
        defer { withExtendedLifetime(server) {} }  // the process stops when released
        let d = try makeDriver(backend, port: server.port,
                               security: .tls(hostname: "fapi.example.invalid", caFile: pki.caFile))
        let o = try #require(get(d, "/length?n=1"))
        guard case .tlsFailed(let reason) = o.error else {
            Issue.record("expected a TLS failure, got \(o)")
            return
        }
        #expect(reason.contains("certificate verification failed"))
        #expect(d.stats.retries == 0 && d.stats.open == 0 && d.stats.failures == 1)
    }
}
