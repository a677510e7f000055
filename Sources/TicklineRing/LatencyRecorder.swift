import Synchronization

/// Records latencies on a hot thread into preallocated raw counts, and lets another thread take
/// them without stopping the recorder (double buffering).
///
/// The bucket scheme is log-linear: values below 128 ns are exact, above that each power of
/// two is split into 64 buckets (≤ 1.6 % relative error), up to 2^36 ns (68 s; larger values
/// land in the last bucket). `record` is a few instructions: no allocation, no locks, no ARC.
///
/// ## Swapping
/// The recorder (owner) writes into the active buffer. A reader calls `requestSwap()`, the owner
/// switches buffers at its next `serviceSwap()` (once per duty cycle), and the reader then
/// owns the idle buffer until it calls `collect()`, which adds its counts to a
/// `LatencySnapshot` and clears it. One owner thread and one reader thread.
public final class LatencyRecorder: @unchecked Sendable {
    public static let bucketCount = 1984
    public let name: String

    /// Two buffers of `bucketCount` counts plus the exact maximum, 64-byte aligned.
    @usableFromInline let buffers: (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>)
    @usableFromInline var active: UnsafeMutablePointer<UInt64>
    @usableFromInline let control: UnsafeMutablePointer<Atomic<UInt64>>  // [0] requested, [8] acknowledged
    @usableFromInline var activeIndex = 0

    private static let slots = bucketCount + 1  // + max

    public init(name: String) {
        self.name = name
        func allocate() -> UnsafeMutablePointer<UInt64> {
            let p = UnsafeMutableRawPointer.allocate(byteCount: Self.slots * 8, alignment: 64)
                .bindMemory(to: UInt64.self, capacity: Self.slots)
            p.initialize(repeating: 0, count: Self.slots)
            return p
        }
        buffers = (allocate(), allocate())
        active = buffers.0
        let c = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        control = c.bindMemory(to: Atomic<UInt64>.self, capacity: 16)
        control.initialize(to: Atomic(0))
        (control + 8).initialize(to: Atomic(0))
    }

    deinit {
        buffers.0.deallocate()
        buffers.1.deallocate()
        UnsafeMutableRawPointer(control).deallocate()
    }

    @inlinable @inline(__always)
    public static func bucket(of value: UInt64) -> Int {
        if value < 128 { return Int(value) }
        let msb = 63 &- value.leadingZeroBitCount
        if msb >= 36 { return bucketCount - 1 }
        let e = msb &- 6
        return e &* 64 &+ Int(truncatingIfNeeded: value >> UInt64(e))
    }

    /// The smallest and largest value a bucket holds.
    static func range(ofBucket index: Int) -> ClosedRange<UInt64> {
        if index < 128 { return UInt64(index)...UInt64(index) }
        let e = index / 64 - 1
        let m = UInt64(index % 64 + 64)
        return (m << UInt64(e))...(((m + 1) << UInt64(e)) - 1)
    }

    /// Owner thread: counts one latency.
    @inlinable @inline(__always)
    public func record(_ latencyNs: UInt64) {
        active[Self.bucket(of: latencyNs)] &+= 1
        let maxSlot = active + Self.bucketCount
        if latencyNs > maxSlot.pointee { maxSlot.pointee = latencyNs }
    }

    /// Owner thread, once per duty cycle: switches buffers if a reader asked.
    @inlinable @inline(__always)
    public func serviceSwap() {
        let requested = control.pointee.load(ordering: .acquiring)
        if requested != (control + 8).pointee.load(ordering: .relaxed) { swap(to: requested) }
    }

    @inline(never) @usableFromInline
    func swap(to generation: UInt64) {
        activeIndex ^= 1
        active = activeIndex == 0 ? buffers.0 : buffers.1
        // Release: our last writes to the old buffer happen before the reader sees the ack.
        (control + 8).pointee.store(generation, ordering: .releasing)
    }

    /// Reader: asks the owner to switch buffers; returns the generation to wait for.
    public func requestSwap() -> UInt64 {
        let g = control.pointee.load(ordering: .relaxed) &+ 1
        control.pointee.store(g, ordering: .releasing)
        return g
    }

    /// Reader: whether the owner has switched (the idle buffer is then the reader's).
    public func swapCompleted(_ generation: UInt64) -> Bool {
        (control + 8).pointee.load(ordering: .acquiring) == generation
    }

    /// Reader: adds the idle buffer to `snapshot` and clears it. Call only after the swap completed,
    /// or after the owner stopped (then pass `includeActive: true` to take both buffers).
    public func collect(into snapshot: inout LatencySnapshot, includeActive: Bool = false) {
        let idle = activeIndex == 0 ? buffers.1 : buffers.0
        drain(idle, into: &snapshot)
        if includeActive { drain(active, into: &snapshot) }
    }

    private func drain(_ buffer: UnsafeMutablePointer<UInt64>, into snapshot: inout LatencySnapshot) {
        for i in 0..<Self.bucketCount where buffer[i] != 0 {
            snapshot.counts[i] &+= buffer[i]
            buffer[i] = 0
        }
        snapshot.maxNs = max(snapshot.maxNs, buffer[Self.bucketCount])
        buffer[Self.bucketCount] = 0
    }
}

/// Counts taken from one or more `LatencyRecorder`s, for percentiles off the hot path.
public struct LatencySnapshot: Sendable {
    public var counts = [UInt64](repeating: 0, count: LatencyRecorder.bucketCount)
    public var maxNs: UInt64 = 0

    public init() {}

    public var totalCount: UInt64 { counts.reduce(0, &+) }

    /// Visits each non-empty bucket as (lowest value, highest value, count).
    public func forEachBucket(_ body: (ClosedRange<UInt64>, UInt64) -> Void) {
        for (i, c) in counts.enumerated() where c != 0 { body(LatencyRecorder.range(ofBucket: i), c) }
    }

    public mutating func add(_ other: LatencySnapshot) {
        for i in counts.indices { counts[i] &+= other.counts[i] }
        maxNs = max(maxNs, other.maxNs)
    }
}

/// Latencies recorded from any thread under a lock (cold paths: HTTP handlers, WebSocket writers),
/// in `LatencyRecorder`'s buckets, read as a `LatencySnapshot`.
public final class LatencyAccumulator: Sendable {
    public let name: String
    let state = Mutex(LatencySnapshot())

    public init(name: String) {
        self.name = name
    }

    public func record(_ latencyNs: UInt64) {
        let bucket = LatencyRecorder.bucket(of: latencyNs)
        state.withLock { s in
            s.counts[bucket] &+= 1
            if latencyNs > s.maxNs { s.maxNs = latencyNs }
        }
    }

    public var snapshot: LatencySnapshot { state.withLock { $0 } }
}
