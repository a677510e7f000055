import Synchronization

#if canImport(Glibc)
import Glibc
#endif

final class EngineTestThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let finished = Atomic<Bool>(false)
    private let body: () -> Void
    struct CreateFailed: Error { let code: Int32 }

    init(_ body: @escaping () -> Void) throws {
        self.body = body
        let box = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&thread, nil, { arg in
            let me = Unmanaged<EngineTestThread>.fromOpaque(arg!).takeRetainedValue()
            me.body()
            me.finished.store(true, ordering: .releasing)
            return nil
        }, box)
        if rc != 0 {
            Unmanaged<EngineTestThread>.fromOpaque(box).release()
            throw CreateFailed(code: rc)
        }
    }

    var isFinished: Bool { finished.load(ordering: .acquiring) }
    func join() { pthread_join(thread, nil) }
}
