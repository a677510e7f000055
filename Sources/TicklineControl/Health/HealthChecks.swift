import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineRing
import TicklineStore

/// The engine's health checks (`HealthMonitor.Check`): each stage thread's duty cycles, the
/// store, the exchange's REST API, market-data freshness, and the process's memory.
public enum HealthChecks {
    /// Every check of a running engine.
    public static func standard(pipeline: Pipeline, store: TicklineStore?, rest: VenueURL, settings: ControlSettings,
                                symbols: SymbolTable) -> [HealthMonitor.Check] {
        var checks = [threads(UncheckedBox(pipeline))]
        if let store { checks.append(storeCheck(store)) }
        checks.append(exchange(rest))
        checks.append(marketData(pipeline.rings.latestPrices, symbols: symbols,
                                 staleAfterNs: UInt64(settings.marketStaleSeconds) * 1_000_000_000))
        if !pipeline.order.userStreamsOpen.isEmpty { checks.append(userStreams(UncheckedBox(pipeline))) }
        checks.append(memory(limitBytes: Int64(settings.memoryLimitMiB) << 20))
        return checks
    }

    /// Every stage thread is alive: its duty-cycle counter moved since the last check (runners
    /// exist once the pipeline has started: they are read at each check).
    static func threads(_ pipeline: UncheckedBox<Pipeline>) -> HealthMonitor.Check {
        let last = Mutex<[String: Int]>([:])
        return HealthMonitor.Check("stage_threads") {
            let runners = pipeline.value.runners
            guard !runners.isEmpty else { return .impaired("the data plane has not started") }
            let now = Dictionary(runners.map { ($0.name, $0.dutyCycles) }, uniquingKeysWith: { a, _ in a })
            let previous = last.withLock { l in
                defer { l = now }
                return l
            }
            let stalled = runners.filter { previous[$0.name] == $0.dutyCycles }.map(\.name)
            if !stalled.isEmpty { return .failed("no duty cycle since the last check: \(stalled.joined(separator: ", "))") }
            let failures = runners.reduce(0) { $0 + $1.errorCount }
            if failures > 0 { return .impaired("\(runners.count) threads running, \(failures) agent failures so far") }
            return .ok(detail: "\(runners.count) threads running")
        }
    }

    /// Every account's user-data stream open (fills arrive through it).
    static func userStreams(_ pipeline: UncheckedBox<Pipeline>) -> HealthMonitor.Check {
        HealthMonitor.Check("user_data_stream") {
            let open = pipeline.value.order.userStreamsOpen
            let closed = open.indices.filter { !open[$0] }
            if closed.isEmpty { return .ok(detail: "\(open.count) accounts' streams open") }
            return .failed("user-data stream closed for account \(closed.map(String.init).joined(separator: ", ")) (reconnecting)")
        }
    }

    /// The control plane's own server: listening, with its client count.
    public static func webSocketServer(_ plane: @escaping @Sendable () -> ControlPlane?) -> HealthMonitor.Check {
        HealthMonitor.Check("websocket_server") {
            guard let p = plane(), case let port = p.apiPort.load(ordering: .relaxed), port > 0 else {
                return .failed("the API / WebSocket server is not listening")
            }
            return .ok(detail: "listening on port \(port), \(p.hub.stats.active) clients")
        }
    }

    /// A read transaction of the journal environment.
    static func storeCheck(_ store: TicklineStore) -> HealthMonitor.Check {
        let box = UncheckedBox(store)
        return HealthMonitor.Check("store") {
            do {
                let version = try box.value.schemaVersion(.journal)
                return .ok(detail: "journal readable, schema version \(version.map(String.init) ?? "none")")
            } catch {
                return .failed("journal read failed: \(error)")
            }
        }
    }

    /// `GET /fapi/v1/ping` within 2 s.
    public static func exchange(_ rest: VenueURL, timeoutSeconds: Double = 2) -> HealthMonitor.Check {
        let url = URL(string: "\(rest.secure ? "https" : "http")://\(rest.host):\(rest.port)\(rest.path)/fapi/v1/ping")!
        return HealthMonitor.Check("exchange_rest") {
            var request = URLRequest(url: url, timeoutInterval: timeoutSeconds)
            request.httpMethod = "GET"
            do {
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                return status == 200 ? .ok(detail: "ping answered") : .failed("ping answered HTTP \(status)")
            } catch {
                return .failed("ping failed: \(error.localizedDescription)")
            }
        }
    }

    /// The newest price update of any symbol younger than `staleAfterNs` (monotonic clock).
    public static func marketData(_ prices: PriceCache, symbols: SymbolTable, staleAfterNs: UInt64,
                                  nowNs: @escaping @Sendable () -> UInt64 = { LiveClock().nowNs() }) -> HealthMonitor.Check {
        let since = nowNs()
        return HealthMonitor.Check("market_stream") {
            var newest: UInt64 = 0
            for i in 0..<symbols.count { newest = max(newest, prices.read(SymbolID(UInt16(i))).updatedNs) }
            let now = nowNs()
            let age = now &- (newest > 0 ? newest : since)
            if age > staleAfterNs {
                return .impaired(newest > 0 ? "market data stale for \(age / 1_000_000_000) s"
                                            : "no market data for \(age / 1_000_000_000) s")
            }
            return .ok(detail: newest > 0 ? "last update \(age / 1_000_000) ms ago" : "waiting for the first market data")
        }
    }

    /// Resident memory under the limit.
    static func memory(limitBytes: Int64) -> HealthMonitor.Check {
        let usage = ProcessUsage()
        return HealthMonitor.Check("memory") {
            guard let s = usage.sample() else { return .impaired("/proc/self unreadable") }
            let mib = s.rssBytes >> 20
            if s.rssBytes > limitBytes { return .impaired("resident memory \(mib) MiB above the limit \(limitBytes >> 20) MiB") }
            return .ok(detail: "resident memory \(mib) MiB")
        }
    }
}
