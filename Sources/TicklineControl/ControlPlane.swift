import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import ServiceLifecycle
import Synchronization
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing

/// The control plane beside the data plane: the REST API, WebSocket events and `/health` on one
/// port, the scheduler's jobs (health checks, price updates, retention). It reads what the data
/// plane publishes (`EngineState`, the price cache, the store) and sends commands in through
/// `CommandGate`; nothing here runs on a stage thread.
public final class ControlPlane: Sendable {
    public let settings: ControlSettings
    public let state: EngineState
    public let data: ControlData
    public let hub: EventHub
    public let health: HealthMonitor
    public let scheduler: Scheduler
    public let usage = ProcessUsage()
    let authority: TokenAuthority
    let messages: EventMessages
    let logger: Logger
    /// REST requests' handling time (the metrics' `tickline_rest_request_latency_seconds`).
    public let restLatency = LatencyAccumulator(name: "rest_request")
    /// The API server's port once it listens (0 before: useful with `port = 0`).
    public let apiPort = Atomic<Int>(0)
    /// Symbols' last broadcast prices (`price_update` goes out only when they change).
    let lastPrices: Mutex<[PriceCache.Snapshot?]>
    /// The indicator cache's write count at the last check (a change invalidates `/indicators`).
    let lastIndicatorWrites = Atomic<UInt64>(0)

    /// Critical alerts (nil: only logged).
    public let alerts: AlertRelay?

    public init(settings: ControlSettings, data: ControlData, authority: TokenAuthority, checks: [HealthMonitor.Check],
                alerts: AlertRelay? = nil, logger: Logger) {
        self.alerts = alerts
        self.settings = settings
        self.data = data
        self.state = data.state
        self.authority = authority
        self.logger = logger
        messages = EventMessages(symbols: data.symbols)
        var hubSettings = EventHub.Settings()
        hubSettings.pingInterval = .seconds(settings.wsPingIntervalSeconds)
        hubSettings.pongTimeout = .seconds(settings.wsPongTimeoutSeconds)
        hubSettings.maxMissedPongs = settings.wsMaxMissedPongs
        hubSettings.sendQueueLimit = settings.wsSendQueue
        let hub = EventHub(settings: hubSettings, logger: logger)
        self.hub = hub
        let wallTimeMs = data.wallTimeMs
        health = HealthMonitor(checks: checks, onStatusChange: { old, report in
            let troubled = report.components.filter { $0.status != .healthy }.map(\.name)
            let message = report.status == .healthy ? "All systems operational" : "Some features temporarily unavailable"
            if report.status == .healthy {
                logger.notice("Health: \(old.rawValue) → healthy: all systems operational")
            } else {
                logger.warning("Health: \(old.rawValue) → \(report.status.rawValue): \(troubled.joined(separator: ", "))")
            }
            hub.broadcast(EventMessages.systemStatus(report.status.rawValue, message: message, components: troubled,
                                                     timeMs: wallTimeMs()))
        }, onComponentDown: { c in
            logger.critical("Health: \(c.name) down after \(HealthMonitor.failuresForDown) failed checks: \(c.lastError ?? "")")
            alerts?.componentDown(c)
        })
        scheduler = Scheduler()
        lastPrices = Mutex([PriceCache.Snapshot?](repeating: nil, count: data.symbols.count))
        let messages = self.messages
        state.observe { event in
            if let m = messages.message(for: event, timeMs: wallTimeMs()) { hub.broadcast(m) }
        }
        let health = self.health
        // The first check once the engine has had a few seconds to start and connect.
        scheduler.add("health", .every(ms: Int64(settings.healthIntervalSeconds) * 1000), firstAfterMs: 5_000) { now in
            await health.runOnce(nowMs: now)
        }
        scheduler.add("price_update", .every(ms: 1000)) { [weak self] now in self?.publishPrices(nowMs: now) }
    }

    /// `price_update` for every symbol whose price moved since the last one (every second); also
    /// notes new indicator values for the cache.
    func publishPrices(nowMs: Int64) {
        var changed: [(SymbolID, PriceCache.Snapshot)] = []
        lastPrices.withLock { last in
            for i in last.indices {
                let s = SymbolID(UInt16(i))
                let p = data.prices.read(s)
                guard p.lastTrade.raw != 0 || p.mark.raw != 0 else { continue }
                if let l = last[i], l.lastTrade == p.lastTrade, l.mark == p.mark, l.bid == p.bid, l.ask == p.ask { continue }
                last[i] = p
                changed.append((s, p))
            }
        }
        let indicatorWrites = data.indicators.writeCount
        if lastIndicatorWrites.exchange(indicatorWrites, ordering: .relaxed) != indicatorWrites { state.invalidate(.indicators) }
        guard !changed.isEmpty else { return }
        state.invalidate(.prices)
        for (s, p) in changed {
            hub.broadcast(messages.priceUpdate(s, lastTrade: p.lastTrade, mark: p.mark, bid: p.bid, ask: p.ask, timeMs: nowMs))
        }
    }

    /// The router: `/health` (no token), `/api/v1/…` (JWT in `Authorization: Bearer`) and `/ws`
    /// (JWT in the `token` query parameter or the header).
    public func router() -> Router<ControlRequestContext> {
        let router = Router(context: ControlRequestContext.self)
        if settings.rateLimitPerSecond > 0 {
            router.add(middleware: RateLimitMiddleware(ratePerSecond: Double(settings.rateLimitPerSecond),
                                                       burst: Double(settings.rateLimitBurst)))
        }
        router.add(middleware: MethodNotAllowedMiddleware(ControlAPI.routes))
        router.add(middleware: LatencyMiddleware(latency: restLatency))
        let health = self.health, usage = self.usage
        router.get("health") { _, _ in
            let report = health.report
            return ControlAPI.json(health.json(process: usage.sample()), status: report.status == .down ? .serviceUnavailable : .ok)
        }
        let api = router.group("api/v1").add(middleware: TokenAuthMiddleware(authority: authority))
        ControlAPI.addRoutes(to: api, data: data)
        api.get("health") { _, _ in
            ControlAPI.json(health.json(process: usage.sample()), status: health.report.status == .down ? .serviceUnavailable : .ok)
        }
        let hub = self.hub, authority = self.authority
        // The token is checked after the upgrade: a refused upgrade can only be an empty 400, while
        // an upgraded socket can say why — `{"type":"error","error":"Token has expired"}`, then
        // close code 4401 (the WebSocket counterpart of HTTP 401) with the same reason.
        router.ws("ws") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, context in
            let identity: Identity
            do {
                guard let token = TokenAuthMiddleware.token(in: context.request) else { throw AuthError.missingToken }
                identity = try await authority.verify(token)
            } catch {
                let message = (error as? AuthError)?.message ?? "Invalid token"
                try? await outbound.write(.text(EventMessages.envelope(
                    type: "error", timeMs: LiveClock().wallTimeMs(), account: nil, data: JSONText.error(message))))
                try? await outbound.close(.init(codeNumber: 4401), reason: message)
                return
            }
            let clock = LiveClock()
            await hub.serve(
                user: identity.user, account: identity.account.map { AccountID($0) }, nowNs: { clock.nowNs() },
                send: { text in try await outbound.write(.text(text)) },
                close: { code, reason in try? await outbound.close(.init(codeNumber: Int(code)), reason: reason) },
                readMessages: { onText in
                    do {
                        for try await message in inbound.messages(maxSize: hub.settings.maxMessageBytes) {
                            if case .text(let text) = message { onText(text) }
                        }
                    } catch {}
                })
        }
        return router
    }

    /// The API server (a swift-service-lifecycle `Service`).
    public func apiServer(port: Int? = nil) -> some Service {
        let router = router()
        let wsConfiguration = WebSocketServerConfiguration(maxFrameSize: hub.settings.maxMessageBytes)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                webSocketRouter: router,
                configuration: .init(http1: .init(idleTimeout: .seconds(Int64(settings.idleTimeoutSeconds))), ws: wsConfiguration)),
            configuration: .init(address: .hostname(settings.host, port: port ?? settings.port), serverName: "tickline"),
            onServerRunning: { [self] channel in apiPort.store(channel.localAddress?.port ?? 0, ordering: .relaxed) },
            logger: logger)
    }

    /// The scheduler on the wall clock until cancelled or shut down gracefully.
    public func schedulerService() -> some Service {
        SchedulerService(scheduler: scheduler, wallTimeMs: data.wallTimeMs)
    }
}

/// Records each request's handling time.
struct LatencyMiddleware<Context: RequestContext>: RouterMiddleware {
    let latency: LatencyAccumulator

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let start = LiveClock().nowNs()
        defer { latency.record(LiveClock().nowNs() &- start) }
        return try await next(request, context)
    }
}

struct SchedulerService: Service {
    let scheduler: Scheduler
    let wallTimeMs: @Sendable () -> Int64

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await scheduler.run(wallTimeMs: wallTimeMs)
        }
    }
}
