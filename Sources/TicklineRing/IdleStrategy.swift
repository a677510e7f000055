import CTicklineShims
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// What a thread does after a duty cycle that found no work (Agrona's `IdleStrategy`).
///
/// On this kind of VM every sleep→wake costs 30–80 µs (a VM exit and an IPI), so trading
/// threads spin; side-channel threads (store, logging, metrics) back off or park.
public protocol IdleStrategy {
    /// Called after every duty cycle with the work it did; resets the strategy when > 0.
    mutating func idle(workCount: Int)
    mutating func reset()
    /// True when the strategy never gives the core away (counts against the core budget).
    static var isBusySpinning: Bool { get }
    /// Wakes a thread parked in this strategy (any thread may call it): used to stop promptly.
    func wakeUp()
}

extension IdleStrategy {
    public func wakeUp() {}
}

/// Spin with the CPU's pause hint. Lowest latency; owns its core.
@frozen
public struct BusySpinIdleStrategy: IdleStrategy {
    @inlinable public init() {}
    @inlinable @inline(__always) public mutating func idle(workCount: Int) {
        if workCount == 0 { tickline_cpu_pause() }
    }
    @inlinable public mutating func reset() {}
    public static var isBusySpinning: Bool { true }
}

/// Yield the core to any runnable thread, then come straight back.
@frozen
public struct YieldingIdleStrategy: IdleStrategy {
    @inlinable public init() {}
    @inlinable public mutating func idle(workCount: Int) {
        if workCount == 0 { sched_yield() }
    }
    @inlinable public mutating func reset() {}
    public static var isBusySpinning: Bool { false }
}

/// Spin, then yield, then park for exponentially longer (Agrona's `BackoffIdleStrategy`).
/// A parked thread wakes early when its `WakeSignal` is signalled.
public struct BackoffIdleStrategy: IdleStrategy {
    public let maxSpins: Int
    public let maxYields: Int
    public let minParkNs: UInt64
    public let maxParkNs: UInt64
    public let wakeSignal: WakeSignal?

    @usableFromInline var spins = 0
    @usableFromInline var yields = 0
    @usableFromInline var parkNs: UInt64

    public init(maxSpins: Int = 10, maxYields: Int = 5, minParkNs: UInt64 = 1_000, maxParkNs: UInt64 = 1_000_000,
                wakeSignal: WakeSignal? = nil) {
        precondition(minParkNs > 0 && minParkNs <= maxParkNs, "backoff park bounds must satisfy 0 < min ≤ max")
        self.maxSpins = maxSpins
        self.maxYields = maxYields
        self.minParkNs = minParkNs
        self.maxParkNs = maxParkNs
        self.wakeSignal = wakeSignal
        self.parkNs = minParkNs
    }

    @inlinable
    public mutating func idle(workCount: Int) {
        if workCount > 0 {
            reset()
            return
        }
        if spins < maxSpins {
            spins &+= 1
            tickline_cpu_pause()
        } else if yields < maxYields {
            yields &+= 1
            sched_yield()
        } else {
            park(ns: parkNs)
            parkNs = min(parkNs &* 2, maxParkNs)
        }
    }

    /// Where in the back-off the strategy is (for tests and diagnostics).
    public var progress: (spins: Int, yields: Int, parkNs: UInt64) { (spins, yields, parkNs) }

    @inlinable
    public mutating func reset() {
        spins = 0
        yields = 0
        parkNs = minParkNs
    }

    @usableFromInline
    func park(ns: UInt64) {
        if let wakeSignal {
            wakeSignal.park(timeoutNs: ns)
        } else {
            var ts = timespec(tv_sec: Int(ns / 1_000_000_000), tv_nsec: Int(ns % 1_000_000_000))
            _ = nanosleep(&ts, nil)
        }
    }

    public static var isBusySpinning: Bool { false }

    public func wakeUp() { wakeSignal?.wake() }
}

/// Park until woken (or until the timeout, so a missed wake-up costs bounded latency).
public struct ParkingIdleStrategy: IdleStrategy {
    public let wakeSignal: WakeSignal
    public let timeoutNs: UInt64

    public init(wakeSignal: WakeSignal = WakeSignal(), timeoutNs: UInt64 = 1_000_000) {
        self.wakeSignal = wakeSignal
        self.timeoutNs = timeoutNs
    }

    @inlinable
    public mutating func idle(workCount: Int) {
        if workCount == 0 { wakeSignal.park(timeoutNs: timeoutNs) }
    }
    @inlinable public mutating func reset() {}
    public static var isBusySpinning: Bool { false }

    public func wakeUp() { wakeSignal.wake() }
}

/// A futex word a parked consumer sleeps on and producers poke.
///
/// A producer calls `wakeIfParked()` after publishing: one relaxed load when the consumer is
/// awake, a `futex_wake` only when it is parked.
public final class WakeSignal: @unchecked Sendable {
    @usableFromInline let word: UnsafeMutablePointer<Atomic<UInt32>>
    @usableFromInline let parked: UnsafeMutablePointer<Atomic<UInt32>>

    public init() {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        word = raw.bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        word.initialize(to: Atomic(0))
        parked = (raw + 64).bindMemory(to: Atomic<UInt32>.self, capacity: 1)
        parked.initialize(to: Atomic(0))
    }

    deinit { UnsafeMutableRawPointer(word).deallocate() }

    /// Sleeps for at most `timeoutNs` unless woken first.
    @usableFromInline
    func park(timeoutNs: UInt64) {
        let seen = word.pointee.load(ordering: .acquiring)
        parked.pointee.store(1, ordering: .sequentiallyConsistent)
        // The futex compares `word` with `seen` atomically: a wake between the load and the wait
        // makes the wait return at once (EAGAIN), so no wake-up is lost.
        _ = tickline_futex_wait(UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self), seen, timeoutNs)
        parked.pointee.store(0, ordering: .relaxed)
    }

    /// Whether the consumer is parked right now.
    public var isParked: Bool { parked.pointee.load(ordering: .sequentiallyConsistent) != 0 }

    /// Wakes the consumer if it is parked; nearly free otherwise.
    @inlinable
    public func wakeIfParked() {
        if parked.pointee.load(ordering: .sequentiallyConsistent) != 0 { wake() }
    }

    @inline(never)
    public func wake() {
        word.pointee.add(1, ordering: .releasing)
        _ = tickline_futex_wake(UnsafeMutableRawPointer(word).assumingMemoryBound(to: UInt32.self), 1)
    }
}
