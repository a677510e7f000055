import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineStore

/// `tickline run` as one `ServiceGroup`: the data plane, the control plane's API server and its
/// scheduler. SIGTERM / SIGINT (or the end of `--seconds`) shut it down gracefully, in reverse
/// order: the API stops taking requests, the scheduler stops, then the data plane stops its
/// threads — the journal writer commits what is pending on its way out.
public enum EngineRun {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Runs until a signal or `seconds`; returns the end-of-run report.
    /// - Parameter onListening: the API and metrics ports once both servers listen (0 when disabled).
    public static func run(_ configuration: TicklineConfiguration, seconds: Int?, logger: Logger, trading: Bool,
                           version: String, onListening: @escaping @Sendable (_ api: Int, _ metrics: Int) -> Void = { _, _ in })
        async throws -> String
    {
        let control = configuration.control
        // The secret first: a missing or short secret is a start-up error before anything connects.
        var authority: TokenAuthority?
        if control.enabled {
            do {
                let secret = try JWTSecret.load(file: control.jwtSecretFile, environmentVariable: control.jwtSecretEnv)
                authority = await TokenAuthority(secret: secret)
            } catch {
                throw Failure(description: "control plane: \(error)")
            }
        }
        var relay: AlertRelay?
        if control.enabled {
            do {
                relay = AlertRelay(router: try AlertRelay.router(configuration.alerts, logger: logger))
            } catch {
                throw Failure(description: "alerts: \(error)")
            }
        }
        let alerts = relay
        let venue = try LiveRun.resolve(configuration.venue)
        let state = EngineState(symbols: venue.symbols)
        var logObserver: (@Sendable (LogRecord, String) -> Void)?
        if let alerts { logObserver = { record, message in alerts.observe(record, message: message) } }
        let pipeline = try LiveRun.makePipeline(configuration, venue, logger: logger, trading: trading, eventSink: state,
                                                logObserver: logObserver)
        let clock = LiveClock()
        let wallTimeMs: @Sendable () -> Int64 = { LiveClock().wallTimeMs() }
        let store = pipeline.journalWriter?.store

        var services: [any Service] = [PipelineService(pipeline: UncheckedBox(pipeline))]
        let plane: ControlPlane?
        let metricsPort = ListeningPort()
        if let authority {
            let accounts = configuration.accounts.enumerated().map { i, a in
                ControlData.Account(id: AccountID(UInt16(i)), name: a.name, leverage: a.leverage, tradingEnabled: a.tradingEnabled)
            }
            let data = ControlData(state: state, prices: pipeline.rings.latestPrices,
                                   indicators: pipeline.rings.latestIndicators, intervals: configuration.venue.intervals,
                                   store: store,
                                   commands: CommandGate(ring: pipeline.rings.commandsToRisk, nowNs: { LiveClock().nowNs() }),
                                   accounts: accounts, globalTradingEnabled: configuration.trading.enabled,
                                   version: version, wallTimeMs: wallTimeMs)
            let planeRef = PlaneReference()
            let checks = HealthChecks.standard(pipeline: pipeline, store: store, rest: configuration.venue.restURL,
                                               settings: control, symbols: venue.symbols)
                + [HealthChecks.webSocketServer { planeRef.plane.withLock { $0 } }]
            let p = ControlPlane(settings: control, data: data, authority: authority, checks: checks, alerts: alerts,
                                 logger: logger)
            planeRef.plane.withLock { $0 = p }
            plane = p
            let latency = pipeline.latency
            p.scheduler.add("latency_totals", .every(ms: 1_000)) { _ in latency.poll() }
            services.append(p.schedulerService())
            let metrics = EngineMetrics(pipeline: pipeline, plane: p)
            services.append(MetricsServer(configuration: .init(host: control.host, port: control.metricsPort), logger: logger,
                                          onListening: { port in metricsPort.value.store(port, ordering: .relaxed) },
                                          provider: { metrics.families() }))
            services.append(p.apiServer())
            if let writer = pipeline.journalWriter {
                let retention = RetentionJob(configuration.store, store: writer.store, symbols: venue.symbols,
                                             logger: logger, nowMs: wallTimeMs())
                let box = UncheckedBox(retention)
                p.scheduler.add("retention", .every(ms: 60_000)) { now in box.value.runIfDue(nowMs: now) }
            }
        } else {
            plane = nil
        }
        // systemd (Type=notify): ready once serving, keep-alives while the stage threads move.
        let systemd = SystemdNotifier()
        if systemd.isActive, let plane {
            let threads = UncheckedBox(pipeline)
            let last = Mutex<[Int]>([])
            let every = max(1_000, (systemd.watchdogIntervalMs ?? 30_000) / 3)
            plane.scheduler.add("systemd_watchdog", .every(ms: every)) { _ in
                let cycles = threads.value.runners.map(\.dutyCycles)
                let moved = last.withLock { previous in
                    defer { previous = cycles }
                    return previous.count != cycles.count || zip(previous, cycles).allSatisfy { $0 != $1 }
                }
                if moved { systemd.watchdog() }
            }
        }
        let group = ServiceGroup(configuration: .init(
            services: services.map { .init(service: $0) }, gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        let started = clock.nowNs()
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask {
                var port = 0, metrics = 0
                for _ in 0..<400 where plane != nil {
                    port = plane?.apiPort.load(ordering: .relaxed) ?? 0
                    metrics = metricsPort.value.load(ordering: .relaxed)
                    if port != 0 && metrics != 0 { break }
                    try await Task.sleep(for: .milliseconds(25))
                }
                onListening(port, metrics)
                systemd.ready()
                return false
            }
            if let seconds {
                tasks.addTask {
                    try? await Task.sleep(for: .seconds(seconds))
                    await group.triggerGracefulShutdown()
                    return false
                }
            }
            // Until the service group ends (a signal, the end of `seconds`, or a service failing).
            while let groupEnded = try await tasks.next() {
                if groupEnded {
                    tasks.cancelAll()
                    break
                }
            }
        }
        return LiveRun.summary(pipeline, elapsedNs: clock.nowNs() - started, configuration.venue)
    }
}

/// The data plane as a service: its threads start with the group and stop, draining, at the
/// group's graceful shutdown.
struct PipelineService: Service {
    let pipeline: UncheckedBox<Pipeline>
    var systemd = SystemdNotifier()

    func run() async throws {
        try pipeline.value.start()
        try? await gracefulShutdown()
        systemd.stopping()
        pipeline.value.stop()
    }
}

/// The control plane, for a health check built before it.
final class PlaneReference: Sendable {
    let plane = Mutex<ControlPlane?>(nil)
}

/// A server's port once it listens (0 before).
final class ListeningPort: Sendable {
    let value = Atomic<Int>(0)
}

/// A non-Sendable object handed to tasks that use it one at a time (the pipeline: started and
/// stopped by its service only; the retention job: run by the scheduler's one loop).
struct UncheckedBox<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
