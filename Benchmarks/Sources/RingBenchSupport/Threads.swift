import CRingBaseline
import Glibc
import Synchronization

private final class ThreadStart {
    let cpu: Int32
    let body: @Sendable () -> Void
    init(cpu: Int32, body: @escaping @Sendable () -> Void) {
        self.cpu = cpu
        self.body = body
    }
}

/// A joinable pthread pinned to one CPU (it pins itself before running its body, like the C side).
public struct PinnedThread: @unchecked Sendable {
    let id: pthread_t

    /// Starts `body` on a new thread pinned to `cpu`.
    public init(cpu: Int32, _ body: @escaping @Sendable () -> Void) {
        let start = Unmanaged.passRetained(ThreadStart(cpu: cpu, body: body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, nil, { arg in
            let start = Unmanaged<ThreadStart>.fromOpaque(arg!).takeRetainedValue()
            let pin = crb_pin_current_thread(start.cpu)
            precondition(pin == 0, "pthread_setaffinity_np(cpu \(start.cpu)) failed: \(pin)")
            start.body()
            return nil
        }, start)
        precondition(rc == 0, "pthread_create failed: \(rc)")
        id = tid
    }

    public func join() {
        pthread_join(id, nil)
    }
}

/// Pins the calling thread; traps on failure.
public func pinCurrentThread(to cpu: Int32) {
    let rc = crb_pin_current_thread(cpu)
    precondition(rc == 0, "pthread_setaffinity_np(cpu \(cpu)) failed: \(rc)")
}

/// All parties spin here until each has arrived (after pinning), as the C side does.
final class StartBarrier: Sendable {
    let arrived = Atomic<Int>(0)
    let parties: Int
    init(parties: Int) { self.parties = parties }
    func arrive() {
        arrived.add(1, ordering: .acquiringAndReleasing)
        while arrived.load(ordering: .acquiring) < parties {}
    }
}

/// Results written by one thread and read by another after `join()` (which orders them).
final class ResultBox: @unchecked Sendable {
    var errors = 0
    var startNs: UInt64 = 0
    var endNs: UInt64 = 0
    var checksum: UInt64 = 0
}

/// An `UnsafeMutablePointer` handed to a thread whose lifetime the caller bounds with `join()`.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
}
