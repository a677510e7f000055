import Synchronization

/// Where a WebSocket client connected, which decides what it may receive. Since 2026 Binance
/// serves the high-frequency tier (`@trade`, `@bookTicker`, `@depth…`) only under `/public`, the
/// other market streams (`@aggTrade`, `@kline_…`, `@markPrice…`, `@forceOrder`, tickers) only
/// under `/market`, and user data only under `/private`; a stream subscribed on the wrong path is
/// accepted and then never sent, so routing bugs in clients show up here too. (The tier of
/// `@trade` follows what the live venue does and what ccxt and other clients route: `/public`.)
enum StreamRoute: Sendable, Equatable {
    case publicTier, market, privateUser, legacy

    func allows(_ stream: String) -> Bool {
        switch self {
        case .legacy: return true
        case .publicTier: return StreamHub.isPublicTier(stream)
        case .market: return !StreamHub.isPublicTier(stream)
        case .privateUser: return false
        }
    }
}

/// Fan-out of rendered stream messages to WebSocket connections.
///
/// Each connection has a bounded outbound queue (an `AsyncStream`); a client too slow to keep up
/// loses the oldest messages rather than slowing the venue or other clients.
final class StreamHub: Sendable {
    struct Connection {
        var route: StreamRoute
        /// `/stream?streams=` connections get `{"stream":…,"data":…}` envelopes.
        var combined: Bool
        var streams: Set<String>
        var account: Int?
        var listenKey: String?
        var output: AsyncStream<String>.Continuation
    }

    private let connections = Mutex<[Int: Connection]>([:])
    private let nextID = Atomic<Int>(1)
    let queueLimit: Int

    init(queueLimit: Int = 100_000) { self.queueLimit = queueLimit }

    static func isPublicTier(_ stream: String) -> Bool {
        stream.hasSuffix("@trade") || stream.hasSuffix("@bookTicker") || stream.contains("@depth")
            || stream == "!bookTicker"
    }

    /// Registers a connection; returns its id and the stream of messages to send it.
    func connect(route: StreamRoute, combined: Bool, streams: [String], account: Int? = nil, listenKey: String? = nil)
        -> (id: Int, messages: AsyncStream<String>)
    {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let (stream, continuation) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(queueLimit))
        connections.withLock {
            $0[id] = Connection(route: route, combined: combined, streams: Set(streams.map { $0.lowercasedStreamName }),
                                account: account, listenKey: listenKey, output: continuation)
        }
        return (id, stream)
    }

    func disconnect(_ id: Int) {
        let c = connections.withLock { $0.removeValue(forKey: id) }
        c?.output.finish()
    }

    /// Closes every connection (fault injection "drop all connections", and shutdown).
    func disconnectAll() {
        let all = connections.withLock { c -> [Connection] in
            defer { c.removeAll() }
            return Array(c.values)
        }
        for c in all { c.output.finish() }
    }

    /// Closes the user-data connections of a listen key (it expired or was deleted).
    func disconnect(listenKey: String) {
        let matching = connections.withLock { c -> [Connection] in
            let ids = c.filter { $0.value.listenKey == listenKey }.map(\.key)
            return ids.compactMap { c.removeValue(forKey: $0) }
        }
        for c in matching { c.output.finish() }
    }

    func subscribe(_ id: Int, _ streams: [String]) {
        connections.withLock { c in
            for s in streams { c[id]?.streams.insert(s.lowercasedStreamName) }
        }
    }

    func unsubscribe(_ id: Int, _ streams: [String]) {
        connections.withLock { c in
            for s in streams { c[id]?.streams.remove(s.lowercasedStreamName) }
        }
    }

    func subscriptions(_ id: Int) -> [String] {
        connections.withLock { $0[id].map { Array($0.streams).sorted() } ?? [] }
    }

    /// Sends a direct reply (e.g. to SUBSCRIBE) to one connection.
    func send(_ id: Int, _ text: String) {
        _ = connections.withLock { $0[id]?.output.yield(text) }
    }

    /// "Half-open" fault: connections stay up but nothing is sent.
    let silent = Atomic<Bool>(false)

    /// Whether any connection would receive `stream` (so unused variants are never rendered).
    func hasSubscribers(_ stream: String) -> Bool {
        let key = stream.lowercasedStreamName
        return connections.withLock { c in c.values.contains { $0.streams.contains(key) && $0.route.allows(key) } }
    }

    /// Delivers `payload` (a stream event's JSON) to every connection subscribed to `stream`
    /// whose path allows it. Returns how many connections got it.
    @discardableResult
    func publish(stream: String, payload: String) -> Int {
        guard !silent.load(ordering: .relaxed) else { return 0 }
        let key = stream.lowercasedStreamName
        return connections.withLock { c in
            var n = 0
            for (_, conn) in c where conn.streams.contains(key) && conn.route.allows(key) {
                conn.output.yield(conn.combined ? "{\"stream\":\"\(stream)\",\"data\":\(payload)}" : payload)
                n += 1
            }
            return n
        }
    }

    /// Delivers a user-data event to the account's `/private` (or legacy) connections.
    @discardableResult
    func publishUser(account: Int, payload: String) -> Int {
        guard !silent.load(ordering: .relaxed) else { return 0 }
        return connections.withLock { c in
            var n = 0
            for (_, conn) in c where conn.account == account && (conn.route == .privateUser || conn.route == .legacy) {
                conn.output.yield(payload)
                n += 1
            }
            return n
        }
    }

    var connectionCount: Int { connections.withLock { $0.count } }
}

extension String {
    /// Stream names are case-insensitive in the symbol part (`btcusdt@kline_1m`), but intervals
    /// like `1M` (month) differ from `1m`: lowercase only the symbol.
    var lowercasedStreamName: String {
        guard let at = firstIndex(of: "@") else { return lowercased() }
        return self[..<at].lowercased() + self[at...]
    }
}
