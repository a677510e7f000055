import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Lets the writer pause this process's readers while it grows the map.
///
/// `mdb_env_set_mapsize` unmaps and remaps the data file, so it "may only be called if no
/// transactions are active in this process" (lmdb.h). LMDB itself checks only for the process's
/// write transaction; a reader on another thread would keep pointers into the old mapping and
/// crash. So every read transaction of `LMDBReader` runs between `enter()` and `leave()`, and
/// the writer, before resizing, closes the gate: it sets `growing`, then waits (bounded) for the
/// count of readers inside to reach zero. Readers arriving meanwhile wait at the door, yielding
/// the CPU, until the gate opens again.
///
/// ## Memory ordering
/// A Dekker-style handshake: the reader increments `inside` and then reads `growing`; the writer
/// stores `growing` and then reads `inside`. Both sides use sequentially consistent operations,
/// so at least one of them sees the other's write: either the reader sees `growing` and backs
/// out, or the writer sees the reader inside and waits. `leave()` releases, so the reader's
/// loads from the old mapping happen before the writer's `acquiring` read of zero, i.e. before
/// the unmap.
///
/// ## Performance
/// Two atomic read-modify-writes per read transaction; the writer pays nothing unless it grows.
public final class LMDBReaderGate: Sendable {
    private let inside = Atomic<Int>(0)
    private let growing = Atomic<Bool>(false)
    /// Times a reader found the gate closed and waited.
    private let waits = Atomic<Int>(0)

    public init() {}

    /// Blocks (yielding) while the map is being grown, then counts the caller as inside.
    public func enter() {
        if !tryEnter() { enterSlow() }
    }

    @inline(__always)
    func tryEnter() -> Bool {
        inside.add(1, ordering: .sequentiallyConsistent)
        if !growing.load(ordering: .sequentiallyConsistent) { return true }
        inside.subtract(1, ordering: .sequentiallyConsistent)
        return false
    }

    @inline(never)
    func enterSlow() {
        waits.add(1, ordering: .relaxed)
        while true {
            while growing.load(ordering: .acquiring) { sched_yield() }
            if tryEnter() { return }
        }
    }

    /// Leaves; every enter must be paired with exactly one leave.
    public func leave() {
        inside.subtract(1, ordering: .releasing)
    }

    /// Readers currently inside.
    public var readersInside: Int { inside.load(ordering: .relaxed) }
    /// Times readers had to wait for a growth.
    public var readerWaits: Int { waits.load(ordering: .relaxed) }
    public var isClosed: Bool { growing.load(ordering: .relaxed) }

    /// Closes the gate and waits up to `timeoutNs` for the readers inside to leave. True: the
    /// caller may resize, then must call `open()`. False: readers stayed (a long scan); the gate
    /// is open again and the caller should retry later.
    ///
    /// Must not be called by a thread that is itself inside (it would wait for itself).
    public func close(timeoutNs: UInt64) -> Bool {
        growing.store(true, ordering: .sequentiallyConsistent)
        let deadline = monotonicNs() &+ timeoutNs
        var spins = 0
        while inside.load(ordering: .sequentiallyConsistent) != 0 {
            spins &+= 1
            if spins & 63 == 0, monotonicNs() > deadline {
                growing.store(false, ordering: .releasing)
                return false
            }
            sched_yield()
        }
        // Acquire: pairs with the readers' releasing `leave()`.
        _ = inside.load(ordering: .acquiring)
        return true
    }

    /// Opens the gate after a successful `close`.
    public func open() {
        growing.store(false, ordering: .releasing)
    }
}

@inline(__always)
func monotonicNs() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}
