#if canImport(Glibc)
import Glibc
#endif

/// The one place that creates OS threads: `pthread_create` with a fixed stack size.
enum OSThread {
    private final class Start {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    /// Starts `body` on a new thread; returns the thread or the `pthread_create` error number.
    static func spawn(stackBytes: Int, _ body: @escaping () -> Void) -> Result<pthread_t, ThreadCreateError> {
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        defer { pthread_attr_destroy(&attr) }
        pthread_attr_setstacksize(&attr, stackBytes)
        let box = Unmanaged.passRetained(Start(body)).toOpaque()
        var tid = pthread_t()
        let rc = pthread_create(&tid, &attr, { arg in
            Unmanaged<Start>.fromOpaque(arg!).takeRetainedValue().body()
            return nil
        }, box)
        guard rc == 0 else {
            Unmanaged<Start>.fromOpaque(box).release()
            return .failure(ThreadCreateError(errno: rc))
        }
        return .success(tid)
    }

    static func join(_ thread: pthread_t) { pthread_join(thread, nil) }
}

struct ThreadCreateError: Error { let errno: Int32 }
