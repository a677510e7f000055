import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

/// The fallback backend: non-blocking sockets, each armed receive polled with
/// `recv(MSG_DONTWAIT)` on every `poll` (busy-polling: the lowest loopback latency measured on
/// this VM, 9–16 µs round trip). Completions have the io_uring loop's shape, so owners run on
/// either backend unchanged. Single-threaded, like the ring.
public final class PollingSocketLoop: SocketEventLoop {
    struct PendingConnect { var fd: Int32; var token: UInt32; var deadlineNs: UInt64 }
    struct PendingSend { var fd: Int32; var token: UInt32; var bytes: UnsafeRawBufferPointer; var done: Int }

    let buffer: UnsafeMutableRawBufferPointer
    var armed: [(fd: Int32, token: UInt32)] = []
    var connects: [PendingConnect] = []
    var sends: [PendingSend] = []
    var ready: [URingCompletion] = []
    /// The batch being handed out, swapped with `ready` so neither array is reallocated.
    var draining: [URingCompletion] = []
    let clock = LiveClock()

    public init(bufferSize: Int = 64 * 1024) {
        buffer = .allocate(byteCount: bufferSize, alignment: 64)
        armed.reserveCapacity(16)
        connects.reserveCapacity(16)
        sends.reserveCapacity(16)
        ready.reserveCapacity(64)
        draining.reserveCapacity(64)
    }

    deinit { buffer.deallocate() }

    @discardableResult
    public func connect(fd: Int32, to address: SocketAddress, token: UInt32, timeoutNs: UInt64 = 0) -> Bool {
        do {
            switch try Posix.connect(fd, address) {
            case .processed:
                ready.append(URingCompletion(token: token, operation: .connect, result: 0, more: false))
            case .wouldBlock:
                connects.append(PendingConnect(fd: fd, token: token,
                                               deadlineNs: timeoutNs > 0 ? clock.nowNs() &+ timeoutNs : .max))
            }
        } catch {
            ready.append(URingCompletion(token: token, operation: .connect, result: -error.errno, more: false))
        }
        return true
    }

    @discardableResult
    public func receive(fd: Int32, token: UInt32) -> Bool {
        armed.append((fd, token))
        return true
    }

    @discardableResult
    public func send(fd: Int32, _ bytes: UnsafeRawBufferPointer, token: UInt32) -> Bool {
        sends.append(PendingSend(fd: fd, token: token, bytes: bytes, done: 0))
        return true
    }

    @discardableResult
    public func close(fd: Int32, token: UInt32) -> Bool {
        armed.removeAll { $0.fd == fd }
        Posix.close(fd)
        ready.append(URingCompletion(token: token, operation: .close, result: 0, more: false))
        return true
    }

    /// Writes the queued sends now (as far as the sockets take them) instead of at the next
    /// `poll`: an order leaves the process the moment it is queued.
    public func flush() {
        var s = 0
        while s < sends.count {
            let p = sends[s]
            do {
                switch try Posix.send(p.fd, UnsafeRawBufferPointer(rebasing: p.bytes[p.done...])) {
                case .processed(let n) where p.done + n == p.bytes.count:
                    ready.append(URingCompletion(token: p.token, operation: .send, result: Int32(p.bytes.count), more: false))
                    sends.remove(at: s)
                    continue
                case .processed(let n):
                    sends[s].done += n
                case .wouldBlock:
                    break
                }
            } catch {
                ready.append(URingCompletion(token: p.token, operation: .send, result: -error.errno, more: false))
                sends.remove(at: s)
                continue
            }
            s += 1
        }
    }

    public func poll(_ handler: (URingCompletion, UnsafeRawBufferPointer?) -> Void) -> Int {
        var handled = 0
        if !connects.isEmpty {
            let now = clock.nowNs()
            var i = 0
            while i < connects.count {
                let c = connects[i]
                if let outcome = Posix.connectResult(c.fd) {
                    ready.append(URingCompletion(token: c.token, operation: .connect, result: -outcome, more: false))
                    connects.remove(at: i)
                } else if now >= c.deadlineNs {
                    ready.append(URingCompletion(token: c.token, operation: .connect, result: -ECANCELED, more: false))
                    ready.append(URingCompletion(token: c.token, operation: .timeout, result: -ETIME, more: false))
                    connects.remove(at: i)
                } else {
                    i += 1
                }
            }
        }
        flush()
        if !ready.isEmpty {
            // Handlers may queue new completions (a reconnect): take this batch out first.
            swap(&ready, &draining)
            for c in draining { handler(c, nil) }
            handled += draining.count
            draining.removeAll(keepingCapacity: true)
        }
        var a = 0
        while a < armed.count {
            let (fd, token) = armed[a]
            do {
                switch try Posix.receive(fd, buffer) {
                case .processed(0):
                    armed.remove(at: a)
                    handler(URingCompletion(token: token, operation: .receive, result: 0, more: false), nil)
                    handled += 1
                    continue
                case .processed(let n):
                    handler(URingCompletion(token: token, operation: .receive, result: Int32(n), more: true),
                            UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
                    handled += 1
                case .wouldBlock:
                    break
                }
            } catch {
                armed.remove(at: a)
                handler(URingCompletion(token: token, operation: .receive, result: -error.errno, more: false), nil)
                handled += 1
                continue
            }
            a += 1
        }
        return handled
    }
}
