/// What a connection on the I/O loop speaks over its socket: plain TCP (the simulator) or TLS
/// (Binance), with one interface so WebSocket and HTTP connections run unchanged over either.
///
/// Receiving: `receive` turns socket bytes into plaintext handed to a closure — in place for plain
/// TCP (zero copy), through the TLS session otherwise. Sending: `queue` plaintext, then send what
/// `nextSend` returns and report it with `sent`; the bytes handed out stay valid and unmoved until
/// `sent` (the loop's send contract), while new output queues in a second buffer.
public final class StreamChannel {
    public enum Security: Sendable, Equatable {
        case plain
        /// TLS with SNI and verification of `hostname`; `caFile` nil trusts the system store.
        case tls(hostname: String, caFile: String?)
    }

    public enum ReceiveOutcome: Equatable, Sendable {
        case ok
        /// TLS handshake or record failure (the reason says which, e.g. certificate verification).
        case failed(String)
        /// The peer sent TLS close_notify.
        case closed
    }

    public let security: Security
    let tls: TLSSession?
    var outbound: [UInt8] = []
    /// The bytes of the send in flight: manually managed, so their address is stable however
    /// `outbound` grows.
    var inFlight: UnsafeMutableRawBufferPointer
    var inFlightCount = 0
    var sending = false
    /// TLS plaintext scratch: records decrypt into it, one chunk per handler call.
    let scratch: UnsafeMutableRawBufferPointer?

    public init(_ security: Security) throws(TLSError) {
        self.security = security
        switch security {
        case .plain:
            tls = nil
            scratch = nil
        case .tls(let hostname, let caFile):
            tls = try TLSSession(hostname: hostname, caFile: caFile)
            scratch = .allocate(byteCount: 16 * 1024, alignment: 16)
        }
        outbound.reserveCapacity(4096)
        inFlight = .allocate(byteCount: 4096, alignment: 16)
    }

    deinit {
        scratch?.deallocate()
        inFlight.deallocate()
    }

    public var isSecure: Bool { tls != nil }

    /// Application data can flow: always for plain TCP, after the handshake for TLS.
    public var isReady: Bool { tls?.isEstablished ?? true }

    /// Call once the TCP connect completed: starts the TLS handshake (its first flight is then
    /// in `nextSend`).
    public func start() {
        guard let tls else { return }
        tls.step()
        outbound += tls.takeCiphertext()
    }

    /// Socket bytes in; plaintext to `plaintext` (for plain TCP, the very same bytes). TLS
    /// handshake replies are queued for `nextSend`.
    public func receive(_ bytes: UnsafeRawBufferPointer, plaintext: (UnsafeRawBufferPointer) -> Void) -> ReceiveOutcome {
        guard let tls, let scratch else {
            plaintext(bytes)
            return .ok
        }
        tls.feedCiphertext(bytes)
        if tls.state == .handshaking { tls.step() }
        outbound += tls.takeCiphertext()
        while tls.isEstablished {
            let n = tls.readPlaintext(into: scratch)
            if n == 0 { break }
            plaintext(UnsafeRawBufferPointer(rebasing: scratch[0..<n]))
        }
        outbound += tls.takeCiphertext()  // key updates, alerts
        switch tls.state {
        case .failed(let reason): return .failed(reason)
        case .closed: return .closed
        case .handshaking, .established: return .ok
        }
    }

    /// Queues application data (encrypted first under TLS).
    public func queue(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        guard let tls else {
            outbound.append(contentsOf: bytes)
            return
        }
        try tls.writePlaintext(bytes)
        outbound += tls.takeCiphertext()
    }

    /// Starts a clean TLS shutdown (close_notify queued); nothing for plain TCP.
    public func close() {
        guard let tls else { return }
        tls.shutdown()
        outbound += tls.takeCiphertext()
    }

    /// The next bytes to hand to the loop's `send`, or nil when a send is in flight or nothing
    /// is queued. Valid and unmoved until `sent`.
    public func nextSend<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R? {
        guard !sending, !outbound.isEmpty else { return nil }
        if outbound.count > inFlight.count {
            inFlight.deallocate()
            inFlight = .allocate(byteCount: outbound.count.nextPowerOfTwo, alignment: 16)
        }
        outbound.withUnsafeBytes { inFlight.copyMemory(from: $0) }
        inFlightCount = outbound.count
        outbound.removeAll(keepingCapacity: true)
        sending = true
        return body(UnsafeRawBufferPointer(rebasing: inFlight[0..<inFlightCount]))
    }

    public var hasPendingOutput: Bool { sending || !outbound.isEmpty }

    /// The send of `nextSend`'s bytes completed with `count` bytes written; a short write puts
    /// the rest back in front of the queue.
    public func sent(_ count: Int) {
        guard sending else { return }
        sending = false
        if count >= 0, count < inFlightCount {
            outbound.insert(contentsOf: UnsafeRawBufferPointer(rebasing: inFlight[count..<inFlightCount]), at: 0)
        }
        inFlightCount = 0
    }
}

extension Int {
    /// The smallest power of two ≥ self (≥ 1).
    var nextPowerOfTwo: Int { self <= 1 ? 1 : 1 << (Int.bitWidth - (self - 1).leadingZeroBitCount) }
}
