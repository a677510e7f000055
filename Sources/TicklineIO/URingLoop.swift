import CURing
import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

/// What an io_uring completion was for.
public enum URingOperation: UInt8, Sendable {
    case connect = 1, receive, send, close, timeout, cancel
}

/// One completion, as the loop hands it to its owner.
public struct URingCompletion: Sendable, Equatable {
    /// The caller's token for the connection or request.
    public var token: UInt32
    public var operation: URingOperation
    /// The kernel's result: a byte count or 0 on success, `-errno` on failure.
    public var result: Int32
    /// For multishot receives: more completions will follow (false: re-arm the receive).
    public var more: Bool

    public var errno: Int32? { result < 0 ? -result : nil }
}

public struct URingError: Error, Equatable, Sendable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32
    public var description: String { "\(operation) failed: errno \(errno)" }
}

/// One io_uring, driven from an agent's `doWork`: it never blocks the thread.
///
/// - Receives are multishot into a provided buffer ring (registered by hand: liburing 2.3 has no
///   `io_uring_setup_buf_ring`); the owner reads each chunk in place inside `poll`'s handler and
///   the buffer goes straight back to the ring.
/// - Connects can carry a linked timeout (`IOSQE_IO_LINK` + `IORING_OP_LINK_TIMEOUT`).
/// - `poll` submits what was queued and reaps completions without waiting (`io_uring_peek_cqe`):
///   on this VM every sleeping wait costs 30–80 µs of wake-up, so I/O threads spin. With SQPOLL
///   a kernel thread submits, and `poll` makes no system call at all.
///
/// ## Caveats
/// Buffers passed to `send` must stay valid until its completion. Single-threaded: one owner.
public final class URingLoop {
    public let bufferCount: Int
    public let bufferSize: Int
    public let usesSQPoll: Bool
    let ring: UnsafeMutablePointer<io_uring>
    let bufferRing: UnsafeMutablePointer<io_uring_buf_ring>
    let bufferRingBytes: Int
    let buffers: UnsafeMutableRawPointer
    let bufferGroup: UInt16 = 1
    /// Per-SQE scratch that must outlive the submit: timespecs and socket addresses.
    let scratchSlots: Int
    let timespecs: UnsafeMutablePointer<__kernel_timespec>
    let addresses: UnsafeMutableRawPointer
    var scratchNext = 0
    var pendingSubmissions = 0
    public private(set) var submitted = 0
    public private(set) var completions = 0
    /// Times the submission queue was full and an operation had to wait for the next poll.
    public private(set) var submissionQueueFull = 0
    /// Failed `io_uring_submit` calls (their -errno is in `lastSubmitError`).
    public private(set) var submitErrors = 0
    public private(set) var lastSubmitError: Int32 = 0
    var enabled: Bool

    /// - Parameters:
    ///   - entries: submission queue size (a power of two).
    ///   - bufferCount: provided receive buffers (a power of two).
    ///   - bufferSize: bytes per receive buffer.
    ///   - sqpoll: let a kernel thread poll the submission queue (a busy-spinning thread: the
    ///     layout counts it), idling after `sqpollIdleMs`.
    public init(entries: UInt32 = 256, bufferCount: Int = 64, bufferSize: Int = 16 * 1024, sqpoll: Bool = false,
                sqpollIdleMs: UInt32 = 1000) throws(URingError) {
        precondition(bufferCount > 0 && bufferCount & (bufferCount - 1) == 0 && bufferCount <= 32768,
                     "bufferCount must be a power of two ≤ 32768")
        self.bufferCount = bufferCount
        self.bufferSize = bufferSize
        self.usesSQPoll = sqpoll
        self.enabled = sqpoll
        ring = .allocate(capacity: 1)
        var params = io_uring_params()
        // SINGLE_ISSUER binds the ring to the thread that enables it: start disabled so the
        // owning agent's thread (not the one that built the pipeline) enables it on first poll.
        // DEFER_TASKRUN + TASKRUN_FLAG: completion work runs when this thread asks for it (the
        // peek in `poll` enters the kernel when the flag says work is pending) instead of by an
        // interrupt of the spinning thread per completion. Measured (wire-bench): one
        // rescheduling interrupt per received message without it, p50 37 µs vs 27 µs with it,
        // level with a spinning recv() client. Kernels before 6.1 lack it: fall back.
        let base = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_R_DISABLED
        params.flags = sqpoll ? IORING_SETUP_SQPOLL : base | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_TASKRUN_FLAG
        params.sq_thread_idle = sqpollIdleMs
        var rc = io_uring_queue_init_params(entries, ring, &params)
        if rc == -EINVAL, !sqpoll {
            params = io_uring_params()
            params.flags = base
            rc = io_uring_queue_init_params(entries, ring, &params)
        }
        guard rc == 0 else {
            ring.deallocate()
            throw URingError(operation: "io_uring_queue_init_params", errno: -rc)
        }
        // The provided-buffer ring: page-aligned entries, registered as buffer group 1.
        bufferRingBytes = bufferCount * MemoryLayout<io_uring_buf>.stride
        var memory: UnsafeMutableRawPointer?
        guard posix_memalign(&memory, Int(sysconf(Int32(_SC_PAGESIZE))), bufferRingBytes) == 0, let memory else {
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw URingError(operation: "posix_memalign", errno: ENOMEM)
        }
        bufferRing = memory.bindMemory(to: io_uring_buf_ring.self, capacity: 1)
        io_uring_buf_ring_init(bufferRing)
        var registration = io_uring_buf_reg()
        registration.ring_addr = UInt64(UInt(bitPattern: memory))
        registration.ring_entries = UInt32(bufferCount)
        registration.bgid = bufferGroup
        let reg = io_uring_register_buf_ring(ring, &registration, 0)
        guard reg == 0 else {
            free(memory)
            io_uring_queue_exit(ring)
            ring.deallocate()
            throw URingError(operation: "io_uring_register_buf_ring", errno: -reg)
        }
        buffers = .allocate(byteCount: bufferCount * bufferSize, alignment: 64)
        let mask = io_uring_buf_ring_mask(UInt32(bufferCount))
        for id in 0..<bufferCount {
            io_uring_buf_ring_add(bufferRing, buffers + id * bufferSize, UInt32(bufferSize), UInt16(id), mask, Int32(id))
        }
        io_uring_buf_ring_advance(bufferRing, Int32(bufferCount))
        scratchSlots = Int(entries)
        timespecs = .allocate(capacity: scratchSlots)
        timespecs.initialize(repeating: __kernel_timespec(), count: scratchSlots)
        addresses = .allocate(byteCount: scratchSlots * 128, alignment: 8)
    }

    deinit {
        io_uring_unregister_buf_ring(ring, Int32(bufferGroup))
        io_uring_queue_exit(ring)
        ring.deallocate()
        free(UnsafeMutableRawPointer(bufferRing))
        buffers.deallocate()
        timespecs.deallocate()
        addresses.deallocate()
    }

    @inline(__always)
    static func userData(_ token: UInt32, _ op: URingOperation) -> UInt64 { UInt64(token) << 8 | UInt64(op.rawValue) }

    /// The first poll happens on the owning thread: that thread becomes the ring's only issuer.
    @inline(never)
    func enable() {
        let rc = shim_io_uring_enable_rings(ring)
        if rc < 0 {
            submitErrors &+= 1
            lastSubmitError = -rc
        }
        enabled = true
    }

    @inline(__always)
    func nextSQE() -> UnsafeMutablePointer<io_uring_sqe>? {
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        // Full: submit what is queued and try once more.
        if !enabled { enable() }
        _ = io_uring_submit(ring)
        pendingSubmissions = 0
        if let sqe = io_uring_get_sqe(ring) { return sqe }
        submissionQueueFull += 1
        return nil
    }

    func scratchIndex() -> Int {
        let i = scratchNext
        scratchNext = (scratchNext + 1) % scratchSlots
        return i
    }

    /// Queues a connect, with a linked timeout when `timeoutNs > 0` (the connect then completes
    /// with `-ECANCELED` if the timeout fired first). False when the queue is full.
    @discardableResult
    public func connect(fd: Int32, to address: SocketAddress, token: UInt32, timeoutNs: UInt64 = 0) -> Bool {
        guard let sqe = nextSQE() else { return false }
        let slot = scratchIndex()
        let storage = addresses + slot * 128
        let length = address.withSockaddr { sa, len -> socklen_t in
            storage.copyMemory(from: UnsafeRawPointer(sa), byteCount: Int(len))
            return len
        }
        io_uring_prep_connect(sqe, fd, storage.assumingMemoryBound(to: sockaddr.self), length)
        io_uring_sqe_set_data64(sqe, Self.userData(token, .connect))
        pendingSubmissions += 1
        if timeoutNs > 0 { linkTimeout(after: sqe, token: token, timeoutNs: timeoutNs) }
        return true
    }

    func linkTimeout(after sqe: UnsafeMutablePointer<io_uring_sqe>, token: UInt32, timeoutNs: UInt64) {
        sqe.pointee.flags |= UInt8(1 << IOSQE_IO_LINK_BIT)
        guard let t = io_uring_get_sqe(ring) else {
            sqe.pointee.flags &= ~UInt8(1 << IOSQE_IO_LINK_BIT)  // no room: go without the timeout
            submissionQueueFull += 1
            return
        }
        let ts = timespecs + scratchIndex()
        ts.pointee.tv_sec = Int64(timeoutNs / 1_000_000_000)
        ts.pointee.tv_nsec = Int64(timeoutNs % 1_000_000_000)
        io_uring_prep_link_timeout(t, ts, 0)
        io_uring_sqe_set_data64(t, Self.userData(token, .timeout))
        pendingSubmissions += 1
    }

    /// Queues a multishot receive into the provided buffers: completions keep coming until one
    /// arrives with `more == false` (error, end of stream, or no free buffer), then re-arm.
    @discardableResult
    public func receive(fd: Int32, token: UInt32) -> Bool {
        guard let sqe = nextSQE() else { return false }
        io_uring_prep_recv_multishot(sqe, fd, nil, 0, 0)
        sqe.pointee.flags |= UInt8(1 << IOSQE_BUFFER_SELECT_BIT)
        sqe.pointee.buf_group = bufferGroup
        io_uring_sqe_set_data64(sqe, Self.userData(token, .receive))
        pendingSubmissions += 1
        return true
    }

    /// Queues a single receive with a linked timeout (for "no data within N" checks).
    @discardableResult
    public func receiveOnce(fd: Int32, token: UInt32, timeoutNs: UInt64) -> Bool {
        guard let sqe = nextSQE() else { return false }
        io_uring_prep_recv(sqe, fd, nil, 0, 0)
        sqe.pointee.flags |= UInt8(1 << IOSQE_BUFFER_SELECT_BIT)
        sqe.pointee.buf_group = bufferGroup
        io_uring_sqe_set_data64(sqe, Self.userData(token, .receive))
        pendingSubmissions += 1
        linkTimeout(after: sqe, token: token, timeoutNs: timeoutNs)
        return true
    }

    /// Queues a send of `bytes` (which must stay valid until the completion).
    @discardableResult
    public func send(fd: Int32, _ bytes: UnsafeRawBufferPointer, token: UInt32) -> Bool {
        guard let sqe = nextSQE() else { return false }
        io_uring_prep_send(sqe, fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
        io_uring_sqe_set_data64(sqe, Self.userData(token, .send))
        pendingSubmissions += 1
        return true
    }

    /// Cancels every operation in flight on `fd` (a multishot receive keeps the socket open
    /// otherwise), then closes it, in that order (linked).
    @discardableResult
    public func close(fd: Int32, token: UInt32) -> Bool {
        guard let cancel = nextSQE() else { return false }
        io_uring_prep_cancel_fd(cancel, fd, UInt32(IORING_ASYNC_CANCEL_ALL))
        io_uring_sqe_set_data64(cancel, Self.userData(token, .cancel))
        cancel.pointee.flags |= UInt8(1 << IOSQE_IO_HARDLINK_BIT)
        pendingSubmissions += 1
        guard let sqe = nextSQE() else { return false }
        io_uring_prep_close(sqe, fd)
        io_uring_sqe_set_data64(sqe, Self.userData(token, .close))
        pendingSubmissions += 1
        return true
    }

    /// Submits what was queued now (one `io_uring_enter`; none with SQPOLL or nothing queued)
    /// instead of at the next `poll`: an order leaves the process the moment it is queued.
    @inline(__always)
    public func flush() {
        if !enabled { enable() }
        guard pendingSubmissions > 0 else { return }
        let n = io_uring_submit(ring)
        if n > 0 {
            submitted &+= Int(n)
        } else if n < 0 {
            submitErrors &+= 1
            lastSubmitError = -n
        }
        pendingSubmissions = 0
    }

    /// Submits what was queued and hands every available completion to `handler` (with the
    /// received bytes for receives, valid only during the call). Never waits. Returns how many
    /// completions were handled.
    @inline(__always)
    public func poll(_ handler: (URingCompletion, UnsafeRawBufferPointer?) -> Void) -> Int {
        flush()
        var handled = 0
        var cqe: UnsafeMutablePointer<io_uring_cqe>?
        while io_uring_peek_cqe(ring, &cqe) == 0, let c = cqe {
            let data = c.pointee.user_data
            let flags = c.pointee.flags
            let completion = URingCompletion(
                token: UInt32(truncatingIfNeeded: data >> 8), operation: URingOperation(rawValue: UInt8(data & 0xFF)) ?? .timeout,
                result: c.pointee.res, more: flags & IORING_CQE_F_MORE != 0)
            if flags & IORING_CQE_F_BUFFER != 0 {
                let id = Int(flags >> IORING_CQE_BUFFER_SHIFT)
                let start = buffers + id * bufferSize
                handler(completion, UnsafeRawBufferPointer(start: start, count: max(0, Int(c.pointee.res))))
                // The bytes are consumed: the buffer goes straight back to the ring.
                io_uring_buf_ring_add(bufferRing, start, UInt32(bufferSize), UInt16(id),
                                      io_uring_buf_ring_mask(UInt32(bufferCount)), 0)
                io_uring_buf_ring_advance(bufferRing, 1)
            } else {
                handler(completion, nil)
            }
            io_uring_cqe_seen(ring, c)
            handled &+= 1
        }
        completions &+= handled
        return handled
    }
}
