import Foundation
import Synchronization

/// Component health (US-SYSTEM-011): every `interval` (30 s, driven by the scheduler) each
/// component's check runs; a pass makes it healthy, a miss degraded, three misses in a row down
/// (and raise a critical alert once). The overall status is the worst component's. `/health`
/// serves the result: 200 while healthy or degraded, 503 when down.
public final class HealthMonitor: Sendable {
    public enum Status: String, Sendable, Comparable {
        case healthy, degraded, down

        var rank: Int { self == .healthy ? 0 : self == .degraded ? 1 : 2 }
        public static func < (a: Status, b: Status) -> Bool { a.rank < b.rank }
    }

    /// What one check found.
    public enum Outcome: Sendable, Equatable {
        case ok(detail: String)
        /// Working but impaired (a stale stream, memory high): degraded, never down.
        case impaired(String)
        /// Not working: degraded, down after `failuresForDown` in a row.
        case failed(String)
    }

    public struct Check: Sendable {
        public var name: String
        public var run: @Sendable () async -> Outcome

        public init(_ name: String, run: @escaping @Sendable () async -> Outcome) {
            self.name = name
            self.run = run
        }
    }

    public struct Component: Sendable, Equatable {
        public var name: String
        public var status: Status = .healthy
        public var detail = "not checked yet"
        public var responseTimeMs: Double = 0
        public var checks = 0
        public var failures = 0
        public var consecutiveFailures = 0
        public var lastError: String?
        public var lastCheckedMs: Int64 = 0

        public var errorRate: Double { checks == 0 ? 0 : Double(failures) / Double(checks) }
    }

    public struct Report: Sendable, Equatable {
        public var status: Status
        public var components: [Component]
        public var timeMs: Int64
    }

    public static let failuresForDown = 3

    let checks: [Check]
    let state: Mutex<[Component]>
    let lastTimeMs = Atomic<Int64>(0)
    /// Called when the overall status changes (old, new report): the `system_status` event.
    let onStatusChange: @Sendable (Status, Report) -> Void
    /// Called once when a component reaches `failuresForDown` consecutive failures: the alert.
    let onComponentDown: @Sendable (Component) -> Void

    public init(checks: [Check], onStatusChange: @escaping @Sendable (Status, Report) -> Void = { _, _ in },
                onComponentDown: @escaping @Sendable (Component) -> Void = { _ in }) {
        self.checks = checks
        state = Mutex(checks.map { Component(name: $0.name) })
        self.onStatusChange = onStatusChange
        self.onComponentDown = onComponentDown
    }

    /// Runs every check once (concurrently), updates the components, and reports.
    @discardableResult
    public func runOnce(nowMs: Int64) async -> Report {
        let results = await withTaskGroup(of: (Int, Outcome, Double).self) { group in
            for (i, check) in checks.enumerated() {
                group.addTask {
                    let start = ContinuousClock.now
                    let outcome = await check.run()
                    let elapsed = ContinuousClock.now - start
                    return (i, outcome, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1e3)
                }
            }
            var out: [(Int, Outcome, Double)] = []
            for await r in group { out.append(r) }
            return out
        }
        let before = report.status
        var newlyDown: [Component] = []
        state.withLock { components in
            for (i, outcome, ms) in results {
                var c = components[i]
                c.checks += 1
                c.responseTimeMs = ms
                c.lastCheckedMs = nowMs
                switch outcome {
                case .ok(let detail):
                    c.status = .healthy
                    c.detail = detail
                    c.consecutiveFailures = 0
                case .impaired(let reason):
                    c.status = .degraded
                    c.detail = reason
                    c.lastError = reason
                    c.consecutiveFailures = 0
                case .failed(let reason):
                    c.failures += 1
                    c.consecutiveFailures += 1
                    c.detail = reason
                    c.lastError = reason
                    c.status = c.consecutiveFailures >= Self.failuresForDown ? .down : .degraded
                    if c.consecutiveFailures == Self.failuresForDown { newlyDown.append(c) }
                }
                components[i] = c
            }
        }
        lastTimeMs.store(nowMs, ordering: .relaxed)
        let after = report
        for c in newlyDown { onComponentDown(c) }
        if after.status != before { onStatusChange(before, after) }
        return after
    }

    /// The latest results.
    public var report: Report {
        let components = state.withLock { $0 }
        let worst = components.map(\.status).max() ?? .healthy
        return Report(status: worst, components: components, timeMs: lastTimeMs.load(ordering: .relaxed))
    }

    /// `/health`'s body.
    public func json(process: ProcessUsage.Sample?) -> String {
        let r = report
        var o = JSONText()
        o.string("status", r.status.rawValue)
        o.int("checked_at", r.timeMs)
        var rows: [String] = []
        for c in r.components {
            var j = JSONText()
            j.string("name", c.name)
            j.string("status", c.status.rawValue)
            j.string("detail", c.detail)
            j.double("response_time_ms", (c.responseTimeMs * 1000).rounded() / 1000)
            j.double("error_rate", c.errorRate)
            j.int("consecutive_failures", Int64(c.consecutiveFailures))
            j.string("last_error", c.lastError)
            rows.append(j.finished())
        }
        o.raw("components", "[" + rows.joined(separator: ",") + "]")
        if let process {
            var p = JSONText()
            p.int("rss_bytes", process.rssBytes)
            p.double("cpu_percent", (process.cpuPercent * 10).rounded() / 10)
            o.raw("process", p.finished())
        }
        return o.finished()
    }
}

/// The process's resident memory and CPU use, from /proc/self (Linux).
public final class ProcessUsage: Sendable {
    public struct Sample: Sendable, Equatable {
        public var rssBytes: Int64
        /// CPU time over wall time since the previous sample, in percent of one core.
        public var cpuPercent: Double
        public var cpuSeconds: Double
    }

    let previous = Mutex<(cpuSeconds: Double, at: ContinuousClock.Instant)?>(nil)

    public init() {}

    public func sample() -> Sample? {
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
              let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8)
        else { return nil }
        let pages = statm.split(separator: " ").dropFirst().first.flatMap { Int64($0) } ?? 0
        let pageSize = Int64(sysconf(Int32(_SC_PAGESIZE)))
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        // Fields after the parenthesised command name: utime is the 14th field, stime the 15th.
        let afterName = stat.split(separator: ")").last.map { $0.split(separator: " ") } ?? []
        let utime = afterName.count > 12 ? Double(afterName[11]) ?? 0 : 0
        let stime = afterName.count > 13 ? Double(afterName[12]) ?? 0 : 0
        let cpu = (utime + stime) / ticks
        let now = ContinuousClock.now
        let percent: Double = previous.withLock { last in
            defer { last = (cpu, now) }
            guard let last else { return 0 }
            let wall = now - last.at
            let seconds = Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18
            return seconds > 0 ? (cpu - last.cpuSeconds) / seconds * 100 : 0
        }
        return Sample(rssBytes: pages * pageSize, cpuPercent: percent, cpuSeconds: cpu)
    }
}
