import Foundation
import Synchronization
import Testing
@testable import TicklineControl
import TicklineConfig
import TicklineCore
import TicklineEngine
import TicklineTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Component health against a real simulator process: its REST ping healthy, then the simulator
/// stopped (degraded at the first failed check, down at the third, one critical call, `/health`
/// 503, a `system_status` event each time the overall status moves), then a simulator back on
/// the same port (healthy, 200).
@Suite(.serialized) struct HealthTests {
    @Test func healthGoesDegradedThenDownWhenTheVenueStopsAndBackAfter() async throws {
        // Starting and stopping the simulator block: on a thread of their own.
        let first = try await onOwnThread { UncheckedSim(try SimulatorProcess(seed: 71)) }
        let port = first.sim.port
        let rest = VenueURL(secure: false, host: "127.0.0.1", port: port, path: "")
        let h = try await ControlHarness(checks: [HealthChecks.exchange(rest, timeoutSeconds: 1)])
        let monitor = h.plane.health
        let events = try h.webSocketClient(token: try await h.token(user: "ops"), mode: "answer")
        _ = try await events.lines(timeoutMs: 10_000) { $0.contains("\"connected\"") }

        var report = await monitor.runOnce(nowMs: 1)
        #expect(report.status == .healthy && report.components[0].detail == "ping answered")
        #expect(try await h.request("GET", "/health").status == 200)

        try await onOwnThread { first.stop() }
        report = await monitor.runOnce(nowMs: 2)
        #expect(report.status == .degraded && report.components[0].consecutiveFailures == 1)
        let degraded = try await h.request("GET", "/health")
        #expect(degraded.status == 200 && degraded.body.contains("\"status\":\"degraded\""))
        report = await monitor.runOnce(nowMs: 3)
        #expect(report.status == .degraded)
        report = await monitor.runOnce(nowMs: 4)
        #expect(report.status == .down && report.components[0].consecutiveFailures == 3)
        let down = try await h.request("GET", "/health")
        #expect(down.status == 503 && down.body.contains("\"status\":\"down\""))
        let component = try #require(report.components.first)
        #expect(component.errorRate == 0.75 && component.lastError?.hasPrefix("ping failed") == true)
        #expect(h.logs.messages.filter { $0.hasPrefix("critical: Health: exchange_rest down after 3 failed checks") }.count == 1)
        _ = await monitor.runOnce(nowMs: 5)
        #expect(h.logs.messages.filter { $0.hasPrefix("critical: Health: exchange_rest down") }.count == 1, "alerted once")

        let second = try await onOwnThread { UncheckedSim(try SimulatorProcess(seed: 72, arguments: ["--port", String(port)])) }
        defer { second.stop() }
        report = await monitor.runOnce(nowMs: 6)
        #expect(report.status == .healthy && report.components[0].consecutiveFailures == 0)
        #expect(try await h.request("GET", "/health").status == 200)

        // Clients saw each change of the overall status.
        let lines = try await events.lines(timeoutMs: 10_000) { $0.contains("\"status\":\"healthy\"") }
        let statuses = lines.compactMap { line -> String? in
            guard line.contains("system_status"),
                  let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return (o["data"] as? [String: Any])?["status"] as? String
        }
        #expect(statuses == ["degraded", "down", "healthy"])
        #expect(lines.contains { $0.contains("Some features temporarily unavailable") })
        #expect(lines.last?.contains("All systems operational") == true)
        await h.stop()
    }

    @Test func processUsageReadsProcSelf() throws {
        let usage = ProcessUsage()
        let first = try #require(usage.sample())
        #expect(first.rssBytes > 1 << 20, "a Swift test process holds more than 1 MiB")
        var x = 0.0
        for i in 0..<3_000_000 { x += Double(i).squareRoot() }  // some CPU time
        let second = try #require(usage.sample())
        #expect(second.cpuSeconds >= first.cpuSeconds && x > 0)
    }

    @Test func theSchedulerRunsJobsWhenDueOnTheClockItIsGiven() async {
        let scheduler = Scheduler()
        let ran = Mutex<[String]>([])
        scheduler.add("health", .every(ms: 30_000)) { now in ran.withLock { $0.append("health@\(now)") } }
        scheduler.add("ml", .daily(msOfDay: 2 * 3_600_000)) { now in ran.withLock { $0.append("ml@\(now)") } }
        let day: Int64 = 86_400_000
        let start = 20_000 * day + 1 * 3_600_000  // 01:00 UTC
        #expect(await scheduler.tick(nowMs: start) == ["health"], "an interval job runs at start, a daily one waits")
        #expect(await scheduler.tick(nowMs: start + 29_999).isEmpty)
        #expect(await scheduler.tick(nowMs: start + 30_000) == ["health"])
        #expect(await scheduler.tick(nowMs: start + 3_600_000) == ["health", "ml"], "02:00 UTC; health late: runs once")
        #expect(await scheduler.tick(nowMs: start + 3_630_000) == ["health"], "the cadence restarts from the late run")
        #expect(await scheduler.tick(nowMs: start + day + 3_600_000 - 1).contains("ml") == false)
        #expect(await scheduler.tick(nowMs: start + day + 3_600_000).contains("ml"))
        #expect(scheduler.runs["ml"] == 2 && ran.withLock { $0.first } == "health@\(start)")

        let late = Scheduler()
        late.add("health", .every(ms: 30_000), firstAfterMs: 5_000) { _ in }
        #expect(await late.tick(nowMs: start).isEmpty, "the first run waits firstAfterMs")
        #expect(await late.tick(nowMs: start + 4_999).isEmpty)
        #expect(await late.tick(nowMs: start + 5_000) == ["health"])
        #expect(await late.tick(nowMs: start + 35_000) == ["health"])
    }
}

/// A simulator process handed between threads (started and stopped on threads of their own).
final class UncheckedSim: @unchecked Sendable {
    private(set) var sim: SimulatorProcess!
    init(_ sim: SimulatorProcess) { self.sim = sim }
    func stop() { sim = nil }
}
