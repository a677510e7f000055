import Synchronization

/// The control plane's periodic jobs outside the data plane (health every 30 s, the daily
/// retention, price updates every second…). `tick(nowMs:)` runs whatever is due at that time —
/// tests drive it with the times they choose; `run` drives it from the wall clock as a service.
public final class Scheduler: Sendable {
    public enum Cadence: Sendable, Equatable {
        /// Every `ms`, the first time at start (or `firstAfterMs` later).
        case every(ms: Int64)
        /// Every day at `msOfDay` after 00:00 UTC, the first time at the next such moment.
        case daily(msOfDay: Int64)
    }

    struct Job: Sendable {
        var name: String
        var cadence: Cadence
        var firstAfterMs: Int64
        var nextDueMs: Int64?
        var run: @Sendable (Int64) async -> Void
    }

    let jobs = Mutex<[Job]>([])
    let runsCounter = Mutex<[String: Int]>([:])

    public init() {}

    /// - Parameter firstAfterMs: an interval job's first run this long after the first tick
    ///   (e.g. health checks once the engine is up); 0: at the first tick.
    public func add(_ name: String, _ cadence: Cadence, firstAfterMs: Int64 = 0,
                    run: @escaping @Sendable (_ nowMs: Int64) async -> Void) {
        jobs.withLock { $0.append(Job(name: name, cadence: cadence, firstAfterMs: firstAfterMs, nextDueMs: nil, run: run)) }
    }

    /// The first daily slot strictly after `nowMs`.
    public static func nextDaily(after nowMs: Int64, msOfDay: Int64) -> Int64 {
        let day: Int64 = 86_400_000
        let midnight = nowMs - ((nowMs % day) + day) % day
        return midnight + msOfDay > nowMs ? midnight + msOfDay : midnight + msOfDay + day
    }

    /// Runs the jobs due at `nowMs` (in the order they were added, one after another) and
    /// schedules their next run; the names of those that ran.
    @discardableResult
    public func tick(nowMs: Int64) async -> [String] {
        let due: [Job] = jobs.withLock { jobs in
            var due: [Job] = []
            for i in jobs.indices {
                let next = jobs[i].nextDueMs ?? {
                    switch jobs[i].cadence {
                    case .every: return nowMs + jobs[i].firstAfterMs
                    case .daily(let at): return Self.nextDaily(after: nowMs, msOfDay: at)
                    }
                }()
                jobs[i].nextDueMs = next
                guard nowMs >= next else { continue }
                due.append(jobs[i])
                switch jobs[i].cadence {
                case .every(let ms):
                    var n = next + ms
                    if n <= nowMs { n = nowMs + ms }  // late: keep the cadence, no burst of catch-up runs
                    jobs[i].nextDueMs = n
                case .daily(let at):
                    jobs[i].nextDueMs = Self.nextDaily(after: nowMs, msOfDay: at)
                }
            }
            return due
        }
        for job in due { await job.run(nowMs) }
        if !due.isEmpty { runsCounter.withLock { for j in due { $0[j.name, default: 0] += 1 } } }
        return due.map(\.name)
    }

    /// How often each job has run.
    public var runs: [String: Int] { runsCounter.withLock { $0 } }

    /// Ticks every `resolution` on `wallTimeMs` until the task is cancelled.
    public func run(wallTimeMs: @escaping @Sendable () -> Int64, resolution: Duration = .milliseconds(250)) async {
        while !Task.isCancelled {
            await tick(nowMs: wallTimeMs())
            do { try await Task.sleep(for: resolution) } catch { return }
        }
    }
}
