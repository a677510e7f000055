import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// How `tickline sim` runs: address, source of prices, clock, limits, faults.
public struct SimOptions: Sendable {
    public var host = "127.0.0.1"
    public var port = 0
    public var seed: UInt64 = 1
    public var configPath: String?
    /// `random` (seeded walk), `capture:FILE` or `klines:FILE` (replay).
    public var source = "random"
    public var speed = 1.0
    /// Manual clock: time moves only through the admin API (`POST /sim/advance`).
    public var manualClock = false
    public var manualStartMs: Int64 = 1_735_689_600_000  // 2025-01-01T00:00:00Z
    /// Serve the pre-2026 `/ws` and `/stream` paths too.
    public var legacyPaths = false
    /// The `/sim/…` admin API; nil = on for loopback binds, off otherwise.
    public var admin: Bool?
    public var marketStepMs = 100
    /// Minutes of market history made up before serving (random walk only), so klines REST and
    /// an engine's warm-up find closed candles at once; 0 starts empty.
    public var historyMinutes = 0
    public var pingIntervalSeconds = 180
    public var connectionLifetimeSeconds = 24 * 3600
    public var listenKeyValidityMinutes = 60
    public var maxFrameBytes = 1 << 16
    public var limits = RateLimitSettings()
    public var faults = FaultSettings()
    /// Called with the bound port once listening (in-process use); when set, nothing is printed.
    public var onListening: (@Sendable (Int) -> Void)?

    public init() {}

    public struct RateLimitSettings: Sendable {
        public var requestWeightPerMinute = 2400
        public var ordersPer10s = 300
        public var ordersPerMinute = 1200
        public init() {}
    }

    public struct FaultSettings: Sendable {
        public var dropConnectionsEverySeconds = 0
        public var restErrorFraction = 0.0
        public var restDelayMs = 0
        public var partialFills = 1
        public var malformedEvery = 0
        public var clockSkewMs: Int64 = 0
        public init() {}
    }

    var isLoopback: Bool { host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.") }
}

/// The simulator process: REST, WebSocket streams, the market clock and the admin API.
public enum SimServer {
    /// Runs until cancelled. Prints `listening on http://HOST:PORT` as its first stdout line once
    /// the socket is bound (with port 0, the port the OS picked).
    public static func run(_ options: SimOptions) async throws {
        let config = try SimConfigFile.load(options.configPath)
        let clock = SimClock(manualStartMs: options.manualClock ? options.manualStartMs : nil)
        clock.setSkew(ms: options.faults.clockSkewMs)
        let historyMs = options.source == "random" ? Int64(max(0, options.historyMinutes)) * 60_000 : 0
        let exchange = SimExchange(symbols: config.symbols, accounts: config.accounts, seed: options.seed,
                                   startMs: clock.nowMs() - historyMs, stepMs: Int64(options.marketStepMs))
        if historyMs > 0 { _ = exchange.advance(toMs: clock.nowMs()) }  // the past: nobody listened
        exchange.partialFillSplits = max(1, options.faults.partialFills)
        if let replay = try SimReplayLoader.load(options.source) {
            guard options.speed.isFinite, options.speed > 0 else { throw SimConfigError("--speed must be > 0") }
            let attached = exchange.attachReplay(replay, speed: options.speed)
            guard !attached.isEmpty else {
                throw SimConfigError("--source \(options.source): none of its symbols (\(replay.symbols.joined(separator: ", "))) is listed by the simulator")
            }
            let note = replay.skipped > 0 ? ", \(replay.skipped) malformed lines skipped" : ""
            FileHandle.standardError.write(Data("replaying \(attached.joined(separator: ", ")) at ×\(options.speed)\(note)\n".utf8))
        }
        let hub = StreamHub()
        var limits = RateLimits()
        limits.requestWeightPerMinute = options.limits.requestWeightPerMinute
        limits.ordersPer10s = options.limits.ordersPer10s
        limits.ordersPerMinute = options.limits.ordersPerMinute
        var faults = SimFaults()
        faults.dropConnectionsEverySeconds = options.faults.dropConnectionsEverySeconds
        faults.restErrorFraction = options.faults.restErrorFraction
        faults.restDelayMs = options.faults.restDelayMs
        faults.partialFills = options.faults.partialFills
        faults.malformedEvery = options.faults.malformedEvery
        let venue = SimVenue(exchange: exchange, clock: clock, hub: hub, limits: limits, faults: faults,
                             listenKeyValidityMs: Int64(options.listenKeyValidityMinutes) * 60_000, seed: options.seed)
        let admin = options.admin ?? options.isLoopback

        var logger = Logger(label: "tickline-sim")
        // In process (`tickline run --venue sim`), the engine ends the simulator by cancelling it,
        // which Hummingbird reports as an error: only critical lines then.
        logger.logLevel = options.onListening == nil ? .warning : .critical
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            try await respond(request, venue: venue, admin: admin)
        }
        let wsConfiguration = WebSocketServerConfiguration(
            maxFrameSize: options.maxFrameBytes,
            autoPing: .enabled(timePeriod: .seconds(Int64(options.pingIntervalSeconds))))
        let app = Application(
            responder: responder,
            server: .http1WebSocketUpgrade(configuration: .init(ws: wsConfiguration))
            { request, _, _ in
                await upgrade(request, venue: venue, hub: hub, options: options)
            },
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "tickline-sim"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                if let onListening = options.onListening {
                    onListening(port)
                } else {
                    // Unbuffered: scripts wait for this line.
                    FileHandle.standardOutput.write(Data("listening on http://\(options.host):\(port)\n".utf8))
                }
            },
            logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            group.addTask { await marketLoop(venue: venue, clock: clock, options: options) }
            try await group.next()
            group.cancelAll()
        }
    }

    /// Advances the market on the live clock every `marketStepMs` and publishes what happened;
    /// runs the periodic faults and listen-key expiry. With a manual clock, only expiry runs here
    /// (the admin API advances the market).
    static func marketLoop(venue: SimVenue, clock: SimClock, options: SimOptions) async {
        var lastDrop = clock.nowMs()
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(options.marketStepMs))
            let now = clock.nowMs()
            if !clock.isManual { await venue.advanceAndPublish(toMs: now) }
            await venue.expireListenKeys(nowMs: now)
            let every = await venue.faults.dropConnectionsEverySeconds
            if every > 0, now - lastDrop >= Int64(every) * 1000 {
                venue.hub.disconnectAll()
                lastDrop = now
            }
        }
    }

    static func respond(_ request: Request, venue: SimVenue, admin: Bool) async throws -> Response {
        let path = request.uri.path
        var body: String?
        if request.method == .post || request.method == .put || request.method == .delete {
            let buffer = try await request.body.collect(upTo: 1 << 20)
            body = buffer.readableBytes > 0 ? String(buffer: buffer) : nil
        }
        let params = SimParams(query: request.uri.query, body: body)
        if path.hasPrefix("/sim/") {
            guard admin else { return SimResponse.json(SimHTTPError.unknownPath.body, status: .notFound) }
            let (status, text) = await venue.admin(method: request.method, path: path, params: params)
            return SimResponse.json(text, status: status)
        }
        let delay = await venue.faults.restDelayMs
        if delay > 0 { try await Task.sleep(for: .milliseconds(delay)) }
        let address = request.headers[.init("X-Forwarded-For")!] ?? "local"
        let (status, text, headers) = await venue.handle(method: request.method, path: path, params: params,
                                                          apiKey: request.headers[.mbxAPIKey], address: address)
        return SimResponse.json(text, status: status, headers: headers)
    }

    /// Decides a WebSocket upgrade from the path: which route, which streams, which account.
    static func upgrade(_ request: HTTPRequest, venue: SimVenue, hub: StreamHub, options: SimOptions) async
        -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>>
    {
        guard let target = request.path, let plan = WebSocketPlan(target: target, legacy: options.legacyPaths) else {
            return .dontUpgrade
        }
        var accountID: Int?
        if let key = plan.listenKey {
            guard let a = await venue.account(forListenKey: key) else { return .dontUpgrade }
            accountID = a.rawValue
        }
        let account = accountID
        let lifetime = options.connectionLifetimeSeconds
        let maxFrame = options.maxFrameBytes
        return .upgrade([:]) { inbound, outbound, _ in
            let (id, messages) = hub.connect(route: plan.route, combined: plan.combined, streams: plan.streams,
                                             account: account, listenKey: plan.listenKey)
            defer { hub.disconnect(id) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await text in messages { try await outbound.write(.text(text)) }
                    // The hub closed us (fault, listen key expired): close the socket too.
                    try await outbound.close(.goingAway, reason: "closed by server")
                }
                group.addTask {
                    for try await message in inbound.messages(maxSize: maxFrame) {
                        guard case .text(let text) = message else { continue }
                        hub.send(id, StreamControl.reply(to: text, connection: id, hub: hub))
                    }
                }
                group.addTask {
                    // Binance cuts every connection after 24 hours.
                    try await Task.sleep(for: .seconds(lifetime))
                    try await outbound.close(.goingAway, reason: "connection lifetime reached")
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }
}

/// The parsed target of a WebSocket upgrade request.
struct WebSocketPlan: Equatable {
    var route: StreamRoute
    var combined: Bool
    var streams: [String]
    var listenKey: String?

    /// `/public|/market` + `/ws/<s1>/<s2>` or `/stream?streams=a/b`; `/private/ws?listenKey=K`
    /// (or `/private/ws/K`); with `legacy`, also `/ws/…`, `/stream?…` and `/ws/<listenKey>`.
    init?(target: String) { self.init(target: target, legacy: false) }

    init?(target: String, legacy: Bool) {
        let parts = target.split(separator: "?", maxSplits: 1)
        let path = String(parts[0])
        let query = parts.count > 1 ? SimParams(query: String(parts[1]), body: nil) : SimParams(query: nil, body: nil)
        var segments = path.split(separator: "/").map(String.init)
        guard !segments.isEmpty else { return nil }
        var route: StreamRoute
        switch segments[0] {
        case "public": route = .publicTier
        case "market": route = .market
        case "private": route = .privateUser
        case "ws", "stream":
            guard legacy else { return nil }
            route = .legacy
            segments.insert("legacy", at: 0)
        default: return nil
        }
        guard segments.count >= 2 else { return nil }
        let kind = segments[1]
        let rest = Array(segments.dropFirst(2))
        if route == .privateUser {
            guard kind == "ws", let key = query["listenKey"] ?? rest.first else { return nil }
            self.init(route: route, combined: false, streams: [], listenKey: key)
            return
        }
        switch kind {
        case "ws":
            if route == .legacy, rest.count == 1, !rest[0].contains("@"), rest[0].count >= 32 {
                self.init(route: .legacy, combined: false, streams: [], listenKey: rest[0])  // legacy user stream
                return
            }
            self.init(route: route, combined: false, streams: rest, listenKey: nil)
        case "stream":
            let names = (query["streams"] ?? "").split(separator: "/").map(String.init)
            self.init(route: route, combined: true, streams: names, listenKey: nil)
        default:
            return nil
        }
    }

    init(route: StreamRoute, combined: Bool, streams: [String], listenKey: String?) {
        self.route = route
        self.combined = combined
        self.streams = streams
        self.listenKey = listenKey
    }
}

/// Live `SUBSCRIBE` / `UNSUBSCRIBE` / `LIST_SUBSCRIPTIONS` requests on a stream connection.
enum StreamControl {
    static func reply(to text: String, connection id: Int, hub: StreamHub) -> String {
        guard let data = text.data(using: .utf8),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let method = object["method"] as? String
        else {
            return JSONWriter.object { w in
                w.beginObject("error")
                w.int("code", 3)
                w.string("msg", "Invalid JSON: expected an object with a method")
                w.endObject()
            }
        }
        let requestID = object["id"]
        func finish(_ w: inout JSONWriter) {
            switch requestID {
            case let n as Int: w.int("id", n)
            case let s as String: w.string("id", s)
            default: w.null("id")
            }
        }
        let streams = (object["params"] as? [String]) ?? []
        switch method {
        case "SUBSCRIBE":
            hub.subscribe(id, streams)
            return JSONWriter.object { w in w.null("result"); finish(&w) }
        case "UNSUBSCRIBE":
            hub.unsubscribe(id, streams)
            return JSONWriter.object { w in w.null("result"); finish(&w) }
        case "LIST_SUBSCRIPTIONS":
            let current = hub.subscriptions(id)
            return JSONWriter.object { w in
                w.beginArray("result")
                for s in current { w.string(nil, s) }
                w.endArray()
                finish(&w)
            }
        default:
            return JSONWriter.object { w in
                w.beginObject("error")
                w.int("code", 2)
                w.string("msg", "Invalid request: unknown method '\(method)'")
                w.endObject()
                finish(&w)
            }
        }
    }
}
