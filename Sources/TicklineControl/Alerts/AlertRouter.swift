import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Fans alerts out to every sink without ever blocking the caller, suppresses repeats of a key
/// within a window, and keeps the counters the metrics endpoint exports.
///
/// `raise` takes one short lock, copies the alert into each sink's bounded queue and returns;
/// each sink drains its queue on its own task (Swift concurrency's global executor), one send
/// at a time, each bounded by the send timeout. A full queue drops the alert for that sink and
/// counts it; a failed or timed-out send is counted and logged (`warning`, logger label
/// `tickline.alerts`). Nothing is thrown at the caller.
///
/// **Dedup**: a key is delivered at most once per `dedupWindowMs` (5 minutes by default),
/// measured from the last delivery, so a condition that persists alerts again once per window.
/// Repeats inside the window are counted as suppressed. An alert that every sink's queue
/// refused does not open a window (the next repeat is tried again).
///
/// **Error rate**: every raised alert (suppressed repeats included) and every `noteError()`
/// lands in a 60-slot per-second ring; `errorsLastMinute()` sums the slots of the last 60 s.
///
/// Time comes from `nowMs` (monotonic milliseconds by default); tests inject a manual clock.
///
/// ## Caveats
/// - Feed it from the log pipeline, but do not turn this router's own `warning` records
///   (`tickline.alerts`) into alerts: a dead sink would then alert about itself forever.
/// - A sink that ignores cancellation and its timeout stalls only its own queue (which then
///   drops and counts); the other sinks and the caller are unaffected.
///
/// ## Performance
/// `raise` costs a dictionary lookup, one `Alert` copy per sink and, when a sink's queue was
/// idle, one `Task` — cold path only (never call it from a data-plane stage).
public final class AlertRouter: Sendable {
    /// Tuning; the defaults match the issue (5 minutes, 5 seconds).
    public struct Options: Sendable, Equatable {
        public var dedupWindowMs: Int64
        /// Alerts waiting or in flight per sink before new ones are dropped.
        public var queueCapacity: Int
        public var sendTimeoutMs: Int64

        public init(dedupWindowMs: Int64 = 300_000, queueCapacity: Int = 32, sendTimeoutMs: Int64 = 5_000) {
            precondition(dedupWindowMs >= 0 && queueCapacity > 0 && sendTimeoutMs > 0, "invalid AlertRouter.Options")
            self.dedupWindowMs = dedupWindowMs
            self.queueCapacity = queueCapacity
            self.sendTimeoutMs = sendTimeoutMs
        }
    }

    /// What `raise` did.
    public enum Disposition: Sendable, Equatable {
        /// Queued on `queued` sinks; `dropped` sinks' queues were full.
        case dispatched(queued: Int, dropped: Int)
        /// The key was delivered less than a window ago.
        case suppressed
    }

    /// Counters of one sink (monotonic, since start), plus its current queue depth.
    public struct SinkStats: Sendable, Equatable {
        public var name: String
        public var sent: UInt64
        /// Failed sends, timeouts included.
        public var failed: UInt64
        /// The subset of `failed` that hit the send timeout.
        public var timedOut: UInt64
        /// Alerts refused because the queue was full.
        public var dropped: UInt64
        /// Alerts waiting or in flight now.
        public var queued: Int
        /// The last failure's description (no secrets: see `AlertSendError`).
        public var lastError: String?
    }

    /// Everything the metrics endpoint exports.
    public struct Stats: Sendable, Equatable {
        /// Every `raise` call.
        public var raised: UInt64
        /// Raises that were fanned out (not suppressed).
        public var dispatched: UInt64
        public var suppressed: UInt64
        /// Raised alerts plus `noteError` counts in the last 60 s.
        public var errorsLastMinute: Int
        public var sinks: [SinkStats]
    }

    struct State {
        var lastDeliveryMs: [String: Int64] = [:]
        var raised: UInt64 = 0
        var dispatched: UInt64 = 0
        var suppressed: UInt64 = 0
        var errors = ErrorRateWindow()
    }

    public let options: Options
    let lanes: [AlertSinkLane]
    let state = Mutex(State())
    let nowMs: @Sendable () -> Int64
    let logger: Logger

    /// - Parameters:
    ///   - sinks: destinations; their `name`s label the counters and should be unique.
    ///   - nowMs: the clock for the dedup window and the error rate (monotonic ms by default).
    public init(sinks: [any AlertSink], options: Options = Options(),
                logger: Logger = Logger(label: "tickline.alerts"),
                nowMs: @escaping @Sendable () -> Int64 = AlertRouter.monotonicMs) {
        self.options = options
        self.nowMs = nowMs
        self.logger = logger
        lanes = sinks.map {
            AlertSinkLane(sink: $0, capacity: options.queueCapacity, timeoutMs: options.sendTimeoutMs,
                          logger: logger, nowMs: nowMs)
        }
    }

    /// Queues `alert` on every sink unless its key was delivered within the window. Never
    /// blocks on I/O, never throws.
    @discardableResult
    public func raise(_ alert: Alert) -> Disposition {
        let now = nowMs()
        let window = options.dedupWindowMs
        let fresh = state.withLock { s -> Bool in
            s.raised &+= 1
            s.errors.record(nowMs: now, count: 1)
            if let last = s.lastDeliveryMs[alert.key], now - last < window {
                s.suppressed &+= 1
                return false
            }
            s.dispatched &+= 1
            // Reserve the key now so a concurrent repeat is suppressed; released below if no
            // sink took the alert.
            s.lastDeliveryMs[alert.key] = now
            if s.lastDeliveryMs.count > 1024 { s.lastDeliveryMs = s.lastDeliveryMs.filter { now - $0.value < window } }
            return true
        }
        guard fresh else {
            logger.debug("alert suppressed (repeat within window)", metadata: ["alert_key": "\(alert.key)"])
            return .suppressed
        }
        var queued = 0
        for lane in lanes where lane.offer(alert) { queued += 1 }
        if queued == 0 && !lanes.isEmpty {
            state.withLock { s in
                if s.lastDeliveryMs[alert.key] == now { s.lastDeliveryMs[alert.key] = nil }
            }
        }
        return .dispatched(queued: queued, dropped: lanes.count - queued)
    }

    /// Counts `count` error records that are not alerts towards `errorsLastMinute()`.
    public func noteError(count: Int = 1) {
        let now = nowMs()
        state.withLock { $0.errors.record(nowMs: now, count: count) }
    }

    /// Alerts raised plus errors noted in the last 60 s (per-second resolution).
    public func errorsLastMinute() -> Int {
        let now = nowMs()
        return state.withLock { $0.errors.total(nowMs: now) }
    }

    public func stats() -> Stats {
        let now = nowMs()
        let sinks = lanes.map { $0.stats() }
        return state.withLock { s in
            Stats(raised: s.raised, dispatched: s.dispatched, suppressed: s.suppressed,
                  errorsLastMinute: s.errors.total(nowMs: now), sinks: sinks)
        }
    }

    /// Returns once every sink's queue is empty and nothing is in flight: for tests and for a
    /// graceful shutdown (bound it with your own timeout — sends already are).
    public func waitUntilIdle() async {
        for lane in lanes { await lane.waitUntilIdle() }
    }

    /// `CLOCK_MONOTONIC` in milliseconds.
    public static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// Counts per second over the last 60 seconds: 60 slots, each remembering which second it
/// holds, so stale slots are skipped without a sweep.
struct ErrorRateWindow: Sendable {
    var seconds = [Int64](repeating: Int64.min, count: 60)
    var counts = [Int](repeating: 0, count: 60)

    mutating func record(nowMs: Int64, count: Int) {
        let second = nowMs >= 0 ? nowMs / 1000 : (nowMs - 999) / 1000
        let slot = Int(((second % 60) + 60) % 60)
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = 0
        }
        counts[slot] += count
    }

    /// The sum over the slots whose second lies in (now − 60 s, now].
    func total(nowMs: Int64) -> Int {
        let second = nowMs >= 0 ? nowMs / 1000 : (nowMs - 999) / 1000
        var sum = 0
        for i in 0..<60 where seconds[i] > second - 60 && seconds[i] <= second { sum += counts[i] }
        return sum
    }
}

/// One sink's bounded queue and its drain task.
final class AlertSinkLane: Sendable {
    struct State {
        var queue: [Alert] = []
        var busy = false
        var draining = false
        var sent: UInt64 = 0
        var failed: UInt64 = 0
        var timedOut: UInt64 = 0
        var dropped: UInt64 = 0
        var lastError: String?
        var lastDropLogMs = Int64.min
        var idleWaiters: [CheckedContinuation<Void, Never>] = []
    }

    enum Outcome: Sendable {
        case sent
        case failed(String)
        case timedOut
    }

    let sink: any AlertSink
    let capacity: Int
    let timeoutMs: Int64
    let logger: Logger
    let nowMs: @Sendable () -> Int64
    let state = Mutex(State())

    init(sink: any AlertSink, capacity: Int, timeoutMs: Int64, logger: Logger, nowMs: @escaping @Sendable () -> Int64) {
        self.sink = sink
        self.capacity = capacity
        self.timeoutMs = timeoutMs
        self.logger = logger
        self.nowMs = nowMs
    }

    /// Queues `alert`, starting the drain task if the lane was idle; false (and counted) when
    /// the queue is full.
    func offer(_ alert: Alert) -> Bool {
        let now = nowMs()
        enum Decision { case dropped(logIt: Bool), queued(start: Bool) }
        let decision = state.withLock { s -> Decision in
            if s.queue.count + (s.busy ? 1 : 0) >= capacity {
                s.dropped &+= 1
                let logIt = s.lastDropLogMs == Int64.min || now - s.lastDropLogMs >= 10_000
                if logIt { s.lastDropLogMs = now }
                return .dropped(logIt: logIt)
            }
            s.queue.append(alert)
            if s.draining { return .queued(start: false) }
            s.draining = true
            return .queued(start: true)
        }
        switch decision {
        case .dropped(let logIt):
            if logIt {
                logger.warning("alert queue full, alert dropped",
                               metadata: ["sink": "\(sink.name)", "alert_key": "\(alert.key)", "capacity": "\(capacity)"])
            }
            return false
        case .queued(let start):
            if start { Task { await self.drain() } }
            return true
        }
    }

    func drain() async {
        while true {
            let next = state.withLock { s -> Alert? in
                guard !s.queue.isEmpty else { return nil }
                s.busy = true
                return s.queue.removeFirst()
            }
            guard let alert = next else {
                let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>]? in
                    // Re-check under the lock: an offer may have queued after the pop above.
                    guard s.queue.isEmpty else { return nil }
                    s.draining = false
                    defer { s.idleWaiters = [] }
                    return s.idleWaiters
                }
                guard let waiters else { continue }
                for waiter in waiters { waiter.resume() }
                return
            }
            let outcome = await Self.send(alert, to: sink, timeoutMs: timeoutMs)
            state.withLock { s in
                s.busy = false
                switch outcome {
                case .sent: s.sent &+= 1
                case .failed(let reason):
                    s.failed &+= 1
                    s.lastError = reason
                case .timedOut:
                    s.failed &+= 1
                    s.timedOut &+= 1
                    s.lastError = "timed out after \(timeoutMs) ms"
                }
            }
            switch outcome {
            case .sent:
                logger.debug("alert sent", metadata: ["sink": "\(sink.name)", "alert_key": "\(alert.key)"])
            case .failed(let reason):
                logger.warning("alert send failed",
                               metadata: ["sink": "\(sink.name)", "alert_key": "\(alert.key)", "error": "\(reason)"])
            case .timedOut:
                logger.warning("alert send timed out",
                               metadata: ["sink": "\(sink.name)", "alert_key": "\(alert.key)", "timeout_ms": "\(timeoutMs)"])
            }
        }
    }

    /// One send raced against the timeout; the loser is cancelled.
    static func send(_ alert: Alert, to sink: any AlertSink, timeoutMs: Int64) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask {
                do {
                    try await sink.send(alert, timeoutMs: timeoutMs)
                    return .sent
                } catch AlertSendError.timedOut {
                    return .timedOut
                } catch {
                    return Task.isCancelled ? nil : .failed("\(error)")
                }
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(timeoutMs))
                return Task.isCancelled ? nil : .timedOut
            }
            var outcome = Outcome.timedOut
            while let result = await group.next() {
                if let result {
                    outcome = result
                    break
                }
            }
            group.cancelAll()
            return outcome
        }
    }

    func stats() -> AlertRouter.SinkStats {
        state.withLock { s in
            AlertRouter.SinkStats(name: sink.name, sent: s.sent, failed: s.failed, timedOut: s.timedOut,
                                  dropped: s.dropped, queued: s.queue.count + (s.busy ? 1 : 0), lastError: s.lastError)
        }
    }

    func waitUntilIdle() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let idle = state.withLock { s -> Bool in
                if !s.draining { return true }
                s.idleWaiters.append(continuation)
                return false
            }
            if idle { continuation.resume() }
        }
    }
}
