#if canImport(Glibc)
import Glibc
#endif

/// Why a pooled request got no response: a value handed to its completion, never thrown, so a
/// REST failure in an agent's `doWork` is counted and the loop goes on.
public enum HTTPPoolError: Error, Equatable, Sendable {
    /// The TCP connect failed (`-errno` from the loop, or `socket()` failing).
    case connectFailed(errno: Int32)
    /// The TCP connect did not complete within the pool's connect timeout.
    case connectTimedOut
    /// TLS set-up, handshake or record failure; the reason says which (e.g. certificate verification).
    case tlsFailed(String)
    /// The connection ended (EOF, reset, send error) before a complete response arrived.
    case closedBeforeResponse
    /// The response could not be parsed; the connection was closed.
    case malformedResponse(HTTP1ClientCodec.ParseError)
    /// No complete response within the request's timeout (queueing, connect and wait included).
    case timedOut
    /// The pool was shut down with the request still pending.
    case cancelled
}

/// A response as the completion sees it. `body` is a view of the connection's parse buffer:
/// valid only during the completion call (copy what must outlive it).
public struct HTTPPoolResponse {
    public let status: Int
    /// Header names lower-cased, in the order received.
    public let headers: [(name: String, value: String)]
    public let body: UnsafeRawBufferPointer

    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.name == lower }?.value
    }
}

/// HTTP/1.1 keep-alive connections to one origin (address, Host header, plain or TLS) on the
/// engine's I/O loop, for REST: history and backfill now, signed orders later. Reusing a warm
/// connection saves a TCP (and TLS) handshake per request — a round trip or two to the venue.
///
/// Requests go to an idle connection, else to a new one while fewer than `maxConnections` are
/// open, else wait in a FIFO queue. One request per connection at a time (no pipelining). Idle
/// connections keep a receive armed, so a server-side close is seen at once; idle ones older
/// than `idleTimeoutNs` are closed before the server's own keep-alive limit. A request that
/// dies on a reused connection before any response byte (the server closed it just then) is
/// retried once on a fresh connection if idempotent (GET, HEAD, DELETE), never for POST.
///
/// Driving: single-threaded, never blocks. An owner that polls the loop routes completions
/// whose token it `owns` to `onCompletion` and calls `tick` once per duty cycle (timeouts,
/// idle closes, deferred sends); an owner with nothing else on the loop calls `doWork`.
/// Tokens: low 16 bits `tokenBase + connectionIndex`, high 16 bits a generation, so late
/// completions of a closed connection never reach its successor (as `MarketDataFeed` does).
///
/// ## Performance
/// A cold path by design (REST, not market data): requests are encoded into a fresh array,
/// completions are escaping closures, headers are strings. Nothing here runs per market tick.
///
/// ## Caveats
/// - A request's timeout starts at the next `tick` (time is an input; `request` takes none).
/// - Completions may call `request` (it is queued and dispatched after the completion
///   returns) but must not call `onCompletion`, `tick`, `doWork` or `shutDown`.
/// - Call `shutDown` and keep polling until `retiredOperations == 0` before dropping the pool:
///   a send in flight on a closed socket still reads its buffer until its completion arrives.
public final class HTTPConnectionPool<Loop: SocketEventLoop> {
    public typealias Completion = (Result<HTTPPoolResponse, HTTPPoolError>) -> Void

    public let address: SocketAddress
    public let host: String
    public let security: StreamChannel.Security
    public let tokenBase: UInt32
    public let maxConnections: Int
    public let connectTimeoutNs: UInt64
    public let requestTimeoutNs: UInt64
    public let idleTimeoutNs: UInt64

    // Metrics: plain counters, read by the owner on the same thread.
    /// Requests accepted by `request`.
    public private(set) var requests = 0
    /// Completions called with a response.
    public private(set) var responses = 0
    /// Completions called with an error.
    public private(set) var failures = 0
    /// Requests retried on a fresh connection after a reused one died under them.
    public private(set) var retries = 0
    /// Connections opened to replace one that died (server close or error while idle, or
    /// under a retried request).
    public private(set) var replaced = 0
    /// TCP connects started.
    public private(set) var connectsStarted = 0
    /// Idle connections closed by `idleTimeoutNs`.
    public private(set) var idleTimeouts = 0
    /// Connections closed after a `Connection: close` (or HTTP/1.0) response.
    public private(set) var closedByResponse = 0
    /// The deepest the wait queue has been.
    public private(set) var maxQueueDepth = 0
    /// Completions of connections already closed (dropped by their generation).
    public private(set) var staleCompletions = 0
    /// Completions `doWork` polled that were not the pool's (dropped).
    public private(set) var foreignCompletions = 0

    /// Connections connecting, handshaking, idle or busy.
    public var open: Int { slots.reduce(0) { $0 + ($1.state == .closed ? 0 : 1) } }
    /// Connections open and waiting for a request.
    public var idle: Int { slots.reduce(0) { $0 + ($1.state == .idle ? 1 : 0) } }
    /// Connections open and serving (or connecting for) a request.
    public var inUse: Int { open - idle }
    /// Requests waiting for a connection.
    public var queued: Int { queue.count }
    /// Operations of closed connections still in flight (sends keep their channel alive).
    public var retiredOperations: Int { retired.count }

    /// A request from `request` until its completion: the encoded bytes and what retries and
    /// timeouts need.
    /// Buffers of finished requests, reused for new ones.
    var spareBuffers: [[UInt8]] = []

    struct PendingRequest {
        var method: String
        var bytes: [UInt8]
        var idempotent: Bool
        var timeoutNs: UInt64
        /// 0 until the first `tick` after `request` stamps it.
        var deadlineNs: UInt64 = 0
        var retried = false
        /// A retry: must not go to a connection that was already open.
        var requiresFresh = false
        var delivery: Delivery
    }

    /// Where a request's answer goes: its own closure, or (no allocation per request) the pool's
    /// `onTaggedAnswer` with the tag the owner gave.
    enum Delivery {
        case closure(Completion)
        case tag(UInt64)
    }

    /// Answers of requests made with `request(…, tag:)`, set once by the owner.
    public var onTaggedAnswer: ((UInt64, Result<HTTPPoolResponse, HTTPPoolError>) -> Void)?

    /// A slot's connection: `busy` has a request on it; `idle` waits, its receive armed.
    enum State: Equatable { case closed, connecting, handshaking, idle, busy }

    /// One connection slot; its index is fixed, its socket and generation change per open.
    final class Connection {
        let index: Int
        var token: UInt32 = 0
        var fd: Int32 = -1
        var state = State.closed
        var channel: StreamChannel?
        var codec = HTTP1ClientCodec()
        var request: PendingRequest?
        /// Requests started on this socket (the current one included).
        var requestsOnSocket = 0
        /// A plaintext byte arrived since the current request started.
        var responseStarted = false
        var idleSinceNs: UInt64 = 0

        init(index: Int) { self.index = index }
    }

    /// A closed connection's operation still in flight (a send, whose channel buffer must
    /// outlive it, or a connect): no socket is opened until it completes, because the polling
    /// loop would otherwise carry it on to a new socket that got the same descriptor number.
    struct Retired {
        var token: UInt32
        var awaiting: URingOperation
        var channel: StreamChannel?
        var sinceNs: UInt64
    }

    let loop: Loop
    var slots: [Connection]
    var queue: [PendingRequest] = []
    var retired: [Retired] = []
    var generation: UInt32 = 0
    /// Connections that died while idle (or under a retried request), to count as `replaced`
    /// when the next connection opens.
    var pendingReplacements = 0
    /// Closes the loop could not queue (submission queue full), retried by `tick`.
    var pendingCloses: [(fd: Int32, token: UInt32)] = []
    var callbackDepth = 0
    var nowNs: UInt64 = 0
    /// How long new connections wait for a retired operation before opening anyway (a send's
    /// channel itself stays alive until the send completes).
    let retiredBlocksOpensNs: UInt64 = 2_000_000_000

    /// - Parameters:
    ///   - address: the origin's resolved address (resolve off the hot path).
    ///   - host: the Host header (and, for TLS, the name in `security`).
    ///   - tokenBase: the first token of this pool's range; `tokenBase + maxConnections` must
    ///     stay ≤ 0x10000 and clear of the owner's other tokens.
    public init(loop: Loop, address: SocketAddress, host: String, security: StreamChannel.Security = .plain,
                tokenBase: UInt32, maxConnections: Int = 4, connectTimeoutNs: UInt64 = 5_000_000_000,
                requestTimeoutNs: UInt64 = 10_000_000_000, idleTimeoutNs: UInt64 = 50_000_000_000) {
        precondition(maxConnections > 0 && tokenBase + UInt32(maxConnections) <= 0x10000,
                     "tokenBase + maxConnections must fit in the token's low 16 bits")
        self.loop = loop
        self.address = address
        self.host = host
        self.security = security
        self.tokenBase = tokenBase
        self.maxConnections = maxConnections
        self.connectTimeoutNs = connectTimeoutNs
        self.requestTimeoutNs = requestTimeoutNs
        self.idleTimeoutNs = idleTimeoutNs
        slots = (0..<maxConnections).map { Connection(index: $0) }
    }

    /// True for every token of this pool's range, whatever its generation.
    @inline(__always)
    public func owns(_ token: UInt32) -> Bool {
        let low = token & 0xFFFF
        return low >= tokenBase && low < tokenBase + UInt32(maxConnections)
    }

    /// Queues a request; `completion` is called exactly once, from `onCompletion`, `tick`,
    /// `doWork`, `shutDown` or (for a connection that cannot even be created) from here.
    /// - Parameter timeoutNs: nil uses `requestTimeoutNs`.
    public func request(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                        timeoutNs: UInt64? = nil, completion: @escaping Completion) {
        enqueue(method: method, path: path, headers: headers, body: body, timeoutNs: timeoutNs,
                delivery: .closure(completion))
    }

    /// Like `request`, but the answer goes to `onTaggedAnswer` with `tag`: nothing is allocated
    /// per request once the pool is warm (the order path).
    public func request(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [],
                        timeoutNs: UInt64? = nil, tag: UInt64) {
        enqueue(method: method, path: path, headers: headers, body: body, timeoutNs: timeoutNs, delivery: .tag(tag))
    }

    func enqueue(method: String, path: String, headers: [(String, String)], body: [UInt8], timeoutNs: UInt64?,
                 delivery: Delivery) {
        requests += 1
        // Encoded into a buffer recycled from a finished request: no allocation once warm.
        var bytes = spareBuffers.popLast() ?? []
        bytes.removeAll(keepingCapacity: true)
        HTTP1ClientCodec.appendRequest(into: &bytes, method: method, path: path, host: host, headers: headers, body: body)
        queue.append(PendingRequest(method: method, bytes: bytes, idempotent: Self.isIdempotent(method),
                                    timeoutNs: timeoutNs ?? requestTimeoutNs, delivery: delivery))
        maxQueueDepth = max(maxQueueDepth, queue.count)
        dispatch()
    }

    /// Retried after a connection died under them: RFC 9110 9.2.2 idempotent methods, except
    /// PUT and OPTIONS, which this engine does not send.
    static func isIdempotent(_ method: String) -> Bool {
        method == "GET" || method == "HEAD" || method == "DELETE"
    }

    /// Polls the loop itself (for an owner with nothing else on it), then `tick`. Completions
    /// of other tokens are dropped and counted.
    @discardableResult
    public func doWork(nowNs: UInt64) -> Int {
        var work = loop.poll { c, data in
            if owns(c.token) {
                onCompletion(c, data, nowNs: nowNs)
            } else {
                foreignCompletions += 1
            }
        }
        work += tick(nowNs: nowNs)
        return work
    }

    /// One completion of a token this pool `owns`.
    public func onCompletion(_ c: URingCompletion, _ data: UnsafeRawBufferPointer?, nowNs: UInt64) {
        self.nowNs = nowNs
        guard owns(c.token) else { return }
        let s = slots[Int((c.token & 0xFFFF) - tokenBase)]
        if c.token == s.token && s.state != .closed {
            handle(s, c, data)
        } else if let r = retired.firstIndex(where: { $0.token == c.token && $0.awaiting == c.operation }) {
            retired.remove(at: r)  // the closed connection's operation is over: its buffer can go
        } else if c.operation == .connect || c.operation == .receive || c.operation == .send {
            staleCompletions += 1  // cancels, closes and linked timeouts are expected late
        }
        dispatch()
    }

    /// Timeouts, idle closes and deferred work; once per duty cycle. Returns actions taken.
    @discardableResult
    public func tick(nowNs: UInt64) -> Int {
        self.nowNs = nowNs
        var work = 0
        var i = 0
        while i < queue.count {
            if queue[i].deadlineNs == 0 { queue[i].deadlineNs = nowNs &+ queue[i].timeoutNs }
            if nowNs >= queue[i].deadlineNs {
                let r = queue.remove(at: i)
                fail(r, .timedOut)
                work += 1
            } else {
                i += 1
            }
        }
        for s in slots {
            switch s.state {
            case .closed:
                continue
            case .idle:
                if nowNs &- s.idleSinceNs >= idleTimeoutNs {
                    idleTimeouts += 1
                    close(s)
                    work += 1
                }
            case .connecting, .handshaking, .busy:
                guard var r = s.request else { continue }
                if r.deadlineNs == 0 {
                    r.deadlineNs = nowNs &+ r.timeoutNs
                    s.request = r
                }
                if nowNs >= r.deadlineNs {
                    // A late response could still arrive: the connection cannot be reused.
                    s.request = nil
                    close(s)
                    fail(r, .timedOut)
                    work += 1
                } else if let channel = s.channel, !channel.sending, channel.hasPendingOutput {
                    flush(s)  // the loop refused an earlier send (queue full)
                }
            }
        }
        // A loop that never completes a retired operation must not pin it forever.
        retired.removeAll { nowNs &- $0.sinceNs > 30 * retiredBlocksOpensNs }
        if !pendingCloses.isEmpty {
            let closes = pendingCloses
            pendingCloses.removeAll()
            for p in closes where !loop.close(fd: p.fd, token: p.token) { pendingCloses.append(p) }
        }
        dispatch()
        return work
    }

    /// Closes every connection and fails what is pending with `.cancelled`.
    public func shutDown() {
        let waiting = queue
        queue.removeAll()
        for s in slots where s.state != .closed {
            let r = s.request
            s.request = nil
            close(s)
            if let r { fail(r, .cancelled) }
        }
        for r in waiting { fail(r, .cancelled) }
    }

    // MARK: - Completions

    func handle(_ s: Connection, _ c: URingCompletion, _ data: UnsafeRawBufferPointer?) {
        switch c.operation {
        case .connect where s.state == .connecting:
            guard c.result == 0 else {
                let error: HTTPPoolError = c.result == -ECANCELED ? .connectTimedOut : .connectFailed(errno: -c.result)
                return abort(s, error)
            }
            guard let channel = s.channel else { return }
            channel.start()
            loop.receive(fd: s.fd, token: s.token)
            if channel.isReady {
                ready(s)
            } else {
                s.state = .handshaking
                flush(s)
            }
        case .send:
            guard let channel = s.channel else { return }
            guard c.result >= 0 else {
                channel.sent(0)
                return lost(s)
            }
            channel.sent(Int(c.result))
            flush(s)
        case .receive:
            guard c.result > 0, let data else {
                if c.result == -ENOBUFS {  // out of provided buffers: re-arm
                    loop.receive(fd: s.fd, token: s.token)
                    return
                }
                return lost(s)
            }
            received(s, data)
            if !c.more, s.state != .closed, s.token == c.token { loop.receive(fd: s.fd, token: s.token) }
        default:
            break  // linked timeouts, cancels, closes
        }
    }

    func received(_ s: Connection, _ data: UnsafeRawBufferPointer) {
        guard let channel = s.channel else { return }
        var plaintext = 0
        let outcome = channel.receive(data) { bytes in
            plaintext += bytes.count
            s.codec.feed(bytes)
        }
        switch outcome {
        case .failed(let reason):
            return abort(s, .tlsFailed(reason))
        case .closed, .ok:
            break
        }
        if s.state == .handshaking {
            flush(s)  // the handshake's next flight
            if channel.isReady { ready(s) }
        }
        if plaintext > 0 {
            if s.state == .idle {
                // Nothing was asked: a server that talks now is broken or closing.
                pendingReplacements += 1
                return close(s)
            }
            s.responseStarted = true
            parse(s)
        }
        if outcome == .closed, s.state != .closed { lost(s) }  // close_notify
        if s.state != .closed { flush(s) }
    }

    func parse(_ s: Connection) {
        guard s.state == .busy, let r = s.request else { return }
        var keepAlive = true
        let outcome = s.codec.poll { head, body in
            keepAlive = head.keepAlive
            s.request = nil
            responses += 1
            callbackDepth += 1
            deliver(r, .success(HTTPPoolResponse(status: head.status, headers: head.headers, body: body)))
            callbackDepth -= 1
            recycle(r.bytes)
        }
        switch outcome {
        case .needMoreData:
            break
        case .delivered:
            let leftover = s.codec.input.count > s.codec.consumed
            if !keepAlive || leftover {
                closedByResponse += keepAlive ? 0 : 1
                close(s)
            } else {
                s.state = .idle
                s.idleSinceNs = nowNs
            }
        case .error(let e):
            s.request = nil
            close(s)
            fail(r, .malformedResponse(e))
        }
    }

    /// The connection died (EOF, reset, failed send). A request in flight is retried once on
    /// a fresh connection when that is safe, else fails.
    func lost(_ s: Connection) {
        guard var r = s.request else {
            if s.state == .idle { pendingReplacements += 1 }
            return close(s)
        }
        s.request = nil
        let reused = s.requestsOnSocket > 1
        let sentNothingBack = !s.responseStarted && s.state == .busy
        let handshaking = s.state == .handshaking
        close(s)
        if handshaking {
            fail(r, .tlsFailed("connection closed during the TLS handshake"))
        } else if reused && sentNothingBack && r.idempotent && !r.retried {
            r.retried = true
            r.requiresFresh = true
            retries += 1
            pendingReplacements += 1
            queue.insert(r, at: 0)
            maxQueueDepth = max(maxQueueDepth, queue.count)
        } else {
            fail(r, .closedBeforeResponse)
        }
    }

    /// Fails the connection's request with `error` (no retry) and closes it.
    func abort(_ s: Connection, _ error: HTTPPoolError) {
        let r = s.request
        s.request = nil
        close(s)
        if let r { fail(r, error) }
    }

    // MARK: - Connections

    func dispatch() {
        guard callbackDepth == 0 else { return }  // a completion's new request waits for it to return
        // `queue[0]`, not `queue.first`: the generic `first` getter is not specialized here and
        // boxes the element on the heap on every call (found with a malloc tracer).
        while !queue.isEmpty {
            let head = queue[0]
            if !head.requiresFresh, let s = mostRecentlyIdle() {
                queue.remove(at: 0)  // not removeFirst(): unspecialized, it boxes the element
                s.request = head
                startRequest(s)
            } else if canOpen, let s = freeSlot() ?? (head.requiresFresh ? oldestIdle() : nil) {
                queue.remove(at: 0)  // not removeFirst(): unspecialized, it boxes the element
                if s.state == .idle { close(s) }
                openConnection(s, for: head)
            } else {
                break
            }
        }
    }

    /// The warmest idle connection, so the others age out when load drops.
    func mostRecentlyIdle() -> Connection? {
        var best: Connection?
        for s in slots where s.state == .idle && s.idleSinceNs >= (best?.idleSinceNs ?? 0) { best = s }
        return best
    }

    func oldestIdle() -> Connection? {
        var best: Connection?
        for s in slots where s.state == .idle && s.idleSinceNs < (best?.idleSinceNs ?? .max) { best = s }
        return best
    }

    func freeSlot() -> Connection? { slots.first { $0.state == .closed } }

    /// No closed socket has an operation in flight (or it has waited long enough).
    var canOpen: Bool { !retired.contains { nowNs &- $0.sinceNs < retiredBlocksOpensNs } }

    func openConnection(_ s: Connection, for r: PendingRequest) {
        generation = (generation &+ 1) & 0xFFFF
        s.token = generation << 16 | (tokenBase + UInt32(s.index))
        s.request = r
        s.requestsOnSocket = 0
        s.responseStarted = false
        s.codec = HTTP1ClientCodec()
        do {
            s.channel = try StreamChannel(security)
        } catch {
            s.request = nil
            return fail(r, .tlsFailed("TLS set-up: \(error)"))
        }
        do {
            s.fd = try Posix.tcpSocket(family: address.family)
        } catch {
            s.request = nil
            s.channel = nil
            return fail(r, .connectFailed(errno: error.errno))
        }
        if pendingReplacements > 0 {
            pendingReplacements -= 1
            replaced += 1
        }
        connectsStarted += 1
        s.state = .connecting
        loop.connect(fd: s.fd, to: address, token: s.token, timeoutNs: connectTimeoutNs)
    }

    /// Connected (and TLS established): serve the waiting request, or idle.
    func ready(_ s: Connection) {
        if s.request != nil {
            startRequest(s)
        } else {
            s.state = .idle
            s.idleSinceNs = nowNs
        }
    }

    func startRequest(_ s: Connection) {
        guard let r = s.request, let channel = s.channel else { return }
        s.state = .busy
        s.requestsOnSocket += 1
        s.responseStarted = false
        do {
            try r.bytes.withUnsafeBytes { try channel.queue($0) }
        } catch {
            return abort(s, .tlsFailed("TLS write: \(error)"))
        }
        flush(s)
    }

    /// Hands the channel's queued bytes to the loop (one send in flight at a time).
    func flush(_ s: Connection) {
        guard let channel = s.channel, s.fd >= 0 else { return }
        let fd = s.fd, token = s.token
        if channel.nextSend({ loop.send(fd: fd, $0, token: token) }) == false {
            channel.sent(0)  // not queued: the bytes go back in front, `tick` tries again
        }
    }

    /// Closes the socket through the loop (which drops what is in flight on it first). A send
    /// still in flight keeps its channel alive, and the slot unused, until it completes: the
    /// polling loop would otherwise send it on a new socket that got the same descriptor.
    func close(_ s: Connection) {
        guard s.state != .closed else { return }
        if s.state == .connecting {
            retired.append(Retired(token: s.token, awaiting: .connect, channel: nil, sinceNs: nowNs))
        } else if let channel = s.channel, channel.sending {
            retired.append(Retired(token: s.token, awaiting: .send, channel: channel, sinceNs: nowNs))
        }
        if s.fd >= 0, !loop.close(fd: s.fd, token: s.token) { pendingCloses.append((s.fd, s.token)) }
        s.fd = -1
        s.state = .closed
        s.channel = nil
    }

    func fail(_ r: PendingRequest, _ error: HTTPPoolError) {
        failures += 1
        callbackDepth += 1
        deliver(r, .failure(error))
        callbackDepth -= 1
        recycle(r.bytes)
    }

    func deliver(_ r: PendingRequest, _ result: Result<HTTPPoolResponse, HTTPPoolError>) {
        switch r.delivery {
        case .closure(let completion): completion(result)
        case .tag(let tag): onTaggedAnswer?(tag, result)
        }
    }

    /// Keeps a finished request's buffer for the next request (a few, so a burst does not pin
    /// memory).
    func recycle(_ bytes: [UInt8]) {
        if spareBuffers.count < 8 { spareBuffers.append(bytes) }
    }
}
