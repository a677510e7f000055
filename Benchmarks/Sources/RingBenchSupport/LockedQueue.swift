import Synchronization

/// The conventional baseline: a fixed array ring of the same capacity guarded by one
/// `Synchronization.Mutex` (a futex-based lock on Linux). Every push and every pop takes the lock.
public final class LockedQueue<Element: BitwiseCopyable>: @unchecked Sendable {
    @usableFromInline struct Positions {
        @usableFromInline var head = 0
        @usableFromInline var tail = 0
        @usableFromInline init() {}
    }

    @usableFromInline let positions = Mutex(Positions())
    @usableFromInline let slots: UnsafeMutablePointer<Element>
    @usableFromInline let mask: Int
    public let capacity: Int

    public init(capacity: Int) {
        precondition(capacity >= 2 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        self.capacity = capacity
        self.mask = capacity - 1
        slots = UnsafeMutableRawPointer.allocate(
            byteCount: capacity * MemoryLayout<Element>.stride, alignment: 64
        ).bindMemory(to: Element.self, capacity: capacity)
    }

    deinit { UnsafeMutableRawPointer(slots).deallocate() }

    @inlinable @inline(__always)
    public func tryPush(_ value: Element) -> Bool {
        positions.withLock { p in
            if p.tail &- p.head == capacity { return false }
            (slots + (p.tail & mask)).initialize(to: value)
            p.tail &+= 1
            return true
        }
    }

    @inlinable @inline(__always)
    public func tryPop(into value: inout Element) -> Bool {
        positions.withLock { p in
            if p.head == p.tail { return false }
            value = slots[p.head & mask]
            p.head &+= 1
            return true
        }
    }

    /// Messages consumed so far (takes the lock).
    public var consumedCount: Int { positions.withLock { $0.head } }

    /// Messages waiting (takes the lock).
    public var count: Int { positions.withLock { $0.tail &- $0.head } }
}
