import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A plain pthread for tests, so rings and recorders are exercised by real OS threads as in
/// production.
public final class TestThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let finished = Atomic<Bool>(false)
    private let body: () -> Void

    public struct CreateFailed: Error { public let code: Int32 }

    public init(_ body: @escaping () -> Void) throws {
        self.body = body
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let me = Unmanaged<TestThread>.fromOpaque(arg!).takeRetainedValue()
            me.body()
            me.finished.store(true, ordering: .releasing)
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<TestThread>.fromOpaque(box).release()
            throw CreateFailed(code: rc)
        }
    }

    public var isFinished: Bool { finished.load(ordering: .acquiring) }
    public func join() { pthread_join(thread, nil) }
}
