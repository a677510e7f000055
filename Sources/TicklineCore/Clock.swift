#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of time for the data plane: monotonic nanoseconds for latency and deadlines,
/// wall-clock milliseconds for exchange timestamps.
///
/// Stages take the clock as a generic parameter (never `any NanoClock`), so the live clock
/// inlines to one vDSO call and the manual clock makes tests and replay deterministic.
public protocol NanoClock {
    /// Monotonic time in nanoseconds; only differences are meaningful.
    func nowNs() -> UInt64
    /// Wall-clock time in milliseconds since the Unix epoch (exchange time base).
    func wallTimeMs() -> Int64
}

/// The live clock: `CLOCK_MONOTONIC` and `CLOCK_REALTIME` (both vDSO, no syscall).
@frozen
public struct LiveClock: NanoClock, Sendable {
    @inlinable public init() {}

    @inlinable public func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    @inlinable public func wallTimeMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) &* 1_000 &+ Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told to: tests, replay and deterministic simulation.
///
/// A reference type so that every stage sharing it sees the same time; single-threaded use
/// only (the invoker drives all agents on one thread in those modes).
public final class ManualClock: NanoClock, @unchecked Sendable {
    public private(set) var currentNs: UInt64
    /// Wall-clock time that corresponds to `currentNs == 0`.
    public let epochMs: Int64

    public init(startNs: UInt64 = 0, epochMs: Int64 = 0) {
        self.currentNs = startNs
        self.epochMs = epochMs
    }

    @inlinable public func nowNs() -> UInt64 { currentNs }
    @inlinable public func wallTimeMs() -> Int64 { epochMs + Int64(currentNs / 1_000_000) }

    public func advance(byNs delta: UInt64) { currentNs += delta }

    /// Moves to `ns`; time never goes backwards.
    public func set(ns: UInt64) {
        precondition(ns >= currentNs, "ManualClock cannot go backwards")
        currentNs = ns
    }
}
