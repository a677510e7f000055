import CRingBaseline
import Synchronization
import TicklineRing

// The Swift side of every Swift-vs-C measurement. Each function mirrors the C function of the
// same role in CRingBaseline.c line for line (same threads, pinning, barrier, spin loops without
// pause, message template, consumer fold), so the two differ only in the ring and the language.

// The loops are written out once per queue type on purpose: behind a protocol, even a generic
// function specialized in this module left `SPSCRing.tryPop(into:)` as a call through the
// protocol witness (plus a metadata lookup per call), 77 instead of 50 instructions per
// push+pop. Concrete code inlines the ring completely, as a real Tickline stage does.

/// The ring capacity used throughout (power of two; same for Swift, C and the locked queue).
public let defaultRingCapacity = 1024

// MARK: Single thread

/// n push+pop pairs on one thread (never full); returns the fold of all messages popped.
/// Mirrors `crb_pushpop_loop`.
@inline(never)
public func swiftPushPopLoop(_ ring: SPSCRing<Msg64>, _ n: Int) -> UInt64 {
    var m = Msg64.template
    var out = Msg64.zero
    var acc: UInt64 = 0
    var i = 0
    while i < n {
        m.seq = UInt64(truncatingIfNeeded: i)
        _ = ring.tryPush(m)
        _ = ring.tryPop(into: &out)
        acc &+= out.fold
        i &+= 1
    }
    return acc
}

/// The same loop on the mutex-guarded queue.
@inline(never)
public func lockedPushPopLoop(_ queue: LockedQueue<Msg64>, _ n: Int) -> UInt64 {
    var m = Msg64.template
    var out = Msg64.zero
    var acc: UInt64 = 0
    var i = 0
    while i < n {
        m.seq = UInt64(truncatingIfNeeded: i)
        _ = queue.tryPush(m)
        _ = queue.tryPop(into: &out)
        acc &+= out.fold
        i &+= 1
    }
    return acc
}

// MARK: Ping-pong (one process-level run; mirrors crb_run_pingpong)

/// Ping on `cpuPing` pushes seq i into ring A; pong on `cpuPong` echoes it through ring B.
/// `ticks[i]` = rdtsc delta of round trip i. Returns wrong echoes (0).
public func swiftRunPingPong(cpuPing: Int32, cpuPong: Int32, n: Int, capacity: Int = defaultRingCapacity,
                             ticks: UnsafeMutablePointer<UInt64>) -> Int {
    let a = SPSCRing<Msg64>(capacity: capacity, name: "ping")
    let b = SPSCRing<Msg64>(capacity: capacity, name: "pong")
    let barrier = StartBarrier(parties: 2)
    let result = ResultBox()
    let out = SendablePointer(pointer: ticks)
    let pong = PinnedThread(cpu: cpuPong) {
        barrier.arrive()
        var m = Msg64.zero
        var i = 0
        while i < n {
            while !a.tryPop(into: &m) {}
            while !b.tryPush(m) {}
            i &+= 1
        }
    }
    let ping = PinnedThread(cpu: cpuPing) {
        barrier.arrive()
        let ticks = out.pointer
        var m = Msg64.template
        var back = Msg64.zero
        var errors = 0
        var i = 0
        while i < n {
            let t0 = crb_rdtsc()
            m.seq = UInt64(truncatingIfNeeded: i)
            while !a.tryPush(m) {}
            while !b.tryPop(into: &back) {}
            let t1 = crb_rdtsc()
            ticks[i] = t1 &- t0
            if back.seq != m.seq { errors &+= 1 }
            i &+= 1
        }
        result.errors = errors
    }
    ping.join()
    pong.join()
    return result.errors
}

// MARK: One-way throughput (mirrors crb_run_throughput)

public struct ThroughputResult: Sendable {
    public var errors: Int
    public var elapsedNs: UInt64
    public var checksum: UInt64
}

/// Producer on `cpuProducer` pushes m messages; consumer on `cpuConsumer` pops them in order.
/// Elapsed = CLOCK_MONOTONIC from the producer's start (after the barrier) to the last pop.
public func swiftRunThroughput(cpuProducer: Int32, cpuConsumer: Int32, messages: Int,
                               capacity: Int = defaultRingCapacity) -> ThroughputResult {
    let ring = SPSCRing<Msg64>(capacity: capacity, name: "throughput")
    let barrier = StartBarrier(parties: 2)
    let result = ResultBox()
    let consumer = PinnedThread(cpu: cpuConsumer) {
        barrier.arrive()
        var m = Msg64.zero
        var acc: UInt64 = 0
        var errors = 0
        var i = 0
        while i < messages {
            while !ring.tryPop(into: &m) {}
            if m.seq != UInt64(truncatingIfNeeded: i) { errors &+= 1 }
            acc &+= m.fold
            i &+= 1
        }
        result.endNs = crb_monotonic_ns()
        result.checksum = acc
        result.errors = errors
    }
    let producer = PinnedThread(cpu: cpuProducer) {
        barrier.arrive()
        result.startNs = crb_monotonic_ns()
        var m = Msg64.template
        var i = 0
        while i < messages {
            m.seq = UInt64(truncatingIfNeeded: i)
            while !ring.tryPush(m) {}
            i &+= 1
        }
    }
    producer.join()
    consumer.join()
    return ThroughputResult(errors: result.errors, elapsedNs: result.endNs &- result.startNs,
                            checksum: result.checksum)
}

// MARK: Long-lived peer threads for package-benchmark (mirror crb_echo_* / crb_sink_*)

final class StopFlag: Sendable {
    let value = Atomic<Bool>(false)
}

// Peer loops, one copy per queue type (see the note at the top).

@inline(never)
func echoLoop(_ a: SPSCRing<Msg64>, _ b: SPSCRing<Msg64>, _ stop: StopFlag) {
    var m = Msg64.zero
    while !stop.value.load(ordering: .relaxed) {
        if a.tryPop(into: &m) {
            while !b.tryPush(m) {}
        }
    }
}

@inline(__always)
func roundTripLoop(_ a: SPSCRing<Msg64>, _ b: SPSCRing<Msg64>, _ n: Int, _ seq: inout UInt64) -> Int {
    var m = Msg64.template
    var back = Msg64.zero
    var errors = 0
    var i = 0
    while i < n {
        m.seq = seq
        while !a.tryPush(m) {}
        while !b.tryPop(into: &back) {}
        if back.seq != seq { errors &+= 1 }
        seq &+= 1
        i &+= 1
    }
    return errors
}

@inline(never)
func sinkLoop(_ q: SPSCRing<Msg64>, _ stop: StopFlag) -> UInt64 {
    var m = Msg64.zero
    var acc: UInt64 = 0
    while true {
        if q.tryPop(into: &m) {
            acc &+= m.fold
        } else if stop.value.load(ordering: .relaxed) {
            break
        }
    }
    return acc
}

@inline(__always)
func sendLoop(_ q: SPSCRing<Msg64>, _ n: Int, _ seq: inout UInt64) {
    var m = Msg64.template
    var i = 0
    while i < n {
        m.seq = seq
        while !q.tryPush(m) {}
        seq &+= 1
        i &+= 1
    }
    // Delivered means consumed.
    while q.consumedCount != Int(truncatingIfNeeded: seq) {}
}

@inline(never)
func echoLoop(_ a: LockedQueue<Msg64>, _ b: LockedQueue<Msg64>, _ stop: StopFlag) {
    var m = Msg64.zero
    while !stop.value.load(ordering: .relaxed) {
        if a.tryPop(into: &m) {
            while !b.tryPush(m) {}
        }
    }
}

@inline(__always)
func roundTripLoop(_ a: LockedQueue<Msg64>, _ b: LockedQueue<Msg64>, _ n: Int, _ seq: inout UInt64) -> Int {
    var m = Msg64.template
    var back = Msg64.zero
    var errors = 0
    var i = 0
    while i < n {
        m.seq = seq
        while !a.tryPush(m) {}
        while !b.tryPop(into: &back) {}
        if back.seq != seq { errors &+= 1 }
        seq &+= 1
        i &+= 1
    }
    return errors
}

@inline(never)
func sinkLoop(_ q: LockedQueue<Msg64>, _ stop: StopFlag) -> UInt64 {
    var m = Msg64.zero
    var acc: UInt64 = 0
    while true {
        if q.tryPop(into: &m) {
            acc &+= m.fold
        } else if stop.value.load(ordering: .relaxed) {
            break
        }
    }
    return acc
}

@inline(__always)
func sendLoop(_ q: LockedQueue<Msg64>, _ n: Int, _ seq: inout UInt64) {
    var m = Msg64.template
    var i = 0
    while i < n {
        m.seq = seq
        while !q.tryPush(m) {}
        seq &+= 1
        i &+= 1
    }
    // Delivered means consumed.
    while q.consumedCount != Int(truncatingIfNeeded: seq) {}
}

/// An echo thread on `cpu` returning every message of SPSCRing A through SPSCRing B.
public final class SwiftRingEcho: @unchecked Sendable {
    let a = SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "echo-a")
    let b = SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "echo-b")
    let stopFlag = StopFlag()
    var thread: PinnedThread?
    var seq: UInt64 = 0

    public init(cpu: Int32) {
        let (a, b, stop) = (a, b, stopFlag)
        thread = PinnedThread(cpu: cpu) { echoLoop(a, b, stop) }
    }

    /// n round trips from the calling thread; returns wrong echoes (0).
    public func roundTrips(_ n: Int) -> Int { roundTripLoop(a, b, n, &seq) }

    public func stop() {
        stopFlag.value.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
    }
}

/// The same echo over two mutex-guarded queues.
public final class LockedQueueEcho: @unchecked Sendable {
    let a = LockedQueue<Msg64>(capacity: defaultRingCapacity)
    let b = LockedQueue<Msg64>(capacity: defaultRingCapacity)
    let stopFlag = StopFlag()
    var thread: PinnedThread?
    var seq: UInt64 = 0

    public init(cpu: Int32) {
        let (a, b, stop) = (a, b, stopFlag)
        thread = PinnedThread(cpu: cpu) { echoLoop(a, b, stop) }
    }

    public func roundTrips(_ n: Int) -> Int { roundTripLoop(a, b, n, &seq) }

    public func stop() {
        stopFlag.value.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
    }
}

/// A sink thread on `cpu` consuming everything pushed to its SPSCRing.
public final class SwiftRingSink: @unchecked Sendable {
    let ring = SPSCRing<Msg64>(capacity: defaultRingCapacity, name: "sink")
    let stopFlag = StopFlag()
    let result = ResultBox()
    var thread: PinnedThread?
    var seq: UInt64 = 0

    public init(cpu: Int32) {
        let (ring, stop, result) = (ring, stopFlag, result)
        thread = PinnedThread(cpu: cpu) { result.checksum = sinkLoop(ring, stop) }
    }

    /// Pushes n messages and waits until the sink consumed them all.
    public func send(_ n: Int) { sendLoop(ring, n, &seq) }

    /// Stops the thread; returns the fold of everything consumed.
    @discardableResult
    public func stop() -> UInt64 {
        stopFlag.value.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
        return result.checksum
    }
}

/// The same sink behind a mutex-guarded queue.
public final class LockedQueueSink: @unchecked Sendable {
    let queue = LockedQueue<Msg64>(capacity: defaultRingCapacity)
    let stopFlag = StopFlag()
    let result = ResultBox()
    var thread: PinnedThread?
    var seq: UInt64 = 0

    public init(cpu: Int32) {
        let (queue, stop, result) = (queue, stopFlag, result)
        thread = PinnedThread(cpu: cpu) { result.checksum = sinkLoop(queue, stop) }
    }

    public func send(_ n: Int) { sendLoop(queue, n, &seq) }

    @discardableResult
    public func stop() -> UInt64 {
        stopFlag.value.store(true, ordering: .relaxed)
        thread?.join()
        thread = nil
        return result.checksum
    }
}

/// The C ring itself (single-thread use), freed on deinit.
public final class CRing: @unchecked Sendable {
    let handle: OpaquePointer

    public init(capacity: Int = defaultRingCapacity) {
        guard let h = crb_ring_create(capacity) else { fatalError("crb_ring_create failed") }
        handle = h
    }

    deinit { crb_ring_destroy(handle) }

    /// n push+pop pairs, loop in C (`crb_pushpop_loop`); returns the fold of the messages.
    public func pushPopLoop(_ n: Int) -> UInt64 { crb_pushpop_loop(handle, UInt64(n)) }
}

/// The C ring's echo thread (crb_echo_*), wrapped for symmetry; loops run in C.
public final class CRingEcho: @unchecked Sendable {
    var handle: OpaquePointer?

    public init(cpu: Int32) {
        guard let h = crb_echo_start(cpu, defaultRingCapacity) else { fatalError("crb_echo_start failed") }
        handle = h
    }

    public func roundTrips(_ n: Int) -> Int { Int(crb_echo_roundtrips(handle, UInt64(n))) }

    public func stop() {
        if let h = handle { crb_echo_stop(h) }
        handle = nil
    }
}

/// The C ring's sink thread (crb_sink_*), wrapped for symmetry; loops run in C.
public final class CRingSink: @unchecked Sendable {
    var handle: OpaquePointer?

    public init(cpu: Int32) {
        guard let h = crb_sink_start(cpu, defaultRingCapacity) else { fatalError("crb_sink_start failed") }
        handle = h
    }

    public func send(_ n: Int) { crb_sink_send(handle, UInt64(n)) }

    @discardableResult
    public func stop() -> UInt64 {
        defer { handle = nil }
        if let h = handle { return crb_sink_stop(h) }
        return 0
    }
}

/// Like `swiftPushPopLoop`, but the consumer reads the message in place through `drain` (the
/// zero-copy path Tickline's stages use) instead of copying it out with `tryPop(into:)`.
@inline(never)
public func swiftPushDrainLoop(_ ring: SPSCRing<Msg64>, _ n: Int) -> UInt64 {
    var m = Msg64.template
    var acc: UInt64 = 0
    var i = 0
    while i < n {
        m.seq = UInt64(truncatingIfNeeded: i)
        _ = ring.tryPush(m)
        _ = ring.drain(limit: 1) { acc &+= $0.pointee.fold; return true }
        i &+= 1
    }
    return acc
}
