import TicklineBinance
import TicklineCore
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// Where a market-data connection stands (outside the generic class, so it reads the same
/// whatever the I/O backend).
public enum MarketDataConnectionState: Equatable, Sendable {
    case idle, connecting, tlsHandshaking, handshaking, open
    case closed(reason: MarketDataCloseReason)
}

/// Why a market-data connection closed; the owner's reconnect policy takes it from there.
public enum MarketDataCloseReason: Equatable, Sendable {
    case connectFailed(errno: Int32)
    /// The TLS handshake or a record failed: the reason says which (e.g. certificate verification).
    case tlsFailed(String)
    case handshakeFailed
    case protocolError
    case serverClosed(code: UInt16)
    case endOfStream
    case receiveFailed(errno: Int32)
    case sendFailed(errno: Int32)
    case handshakeTimedOut
    /// Closed by its owner (e.g. the user-data stream's listen key expired or could not be kept alive).
    case abandoned
}

/// One market-data WebSocket on the parse stage's I/O loop (io_uring or polling): TCP connect
/// (with a timeout), TLS when the endpoint is `wss://` (OpenSSL over memory BIOs, so the loop
/// keeps the socket), the opening handshake, frames through the RFC 6455 codec, and each message
/// parsed in place into the core's events.
///
/// Driven by the owner's `doWork`: `onCompletion` takes the loop's completions for this
/// connection's token and returns parsed messages through `deliver`. On plain TCP the parser
/// reads the loop's receive buffer through the codec with no copy in between; writes
/// (handshake, pongs, close) go out one at a time through the `StreamChannel`.
/// Reconnect policy (backoff, watchdog, backfill) belongs to the owner: this reports `.closed`.
public final class MarketDataConnection<Loop: SocketEventLoop> {
    public typealias State = MarketDataConnectionState
    public typealias CloseReason = MarketDataCloseReason

    public let token: UInt32
    public let address: SocketAddress
    public let host: String
    public let path: String
    public let security: StreamChannel.Security
    public private(set) var state = State.idle
    public private(set) var messages = 0
    public private(set) var parseErrors = 0
    public private(set) var fd: Int32 = -1
    public private(set) var lastMessageNs: UInt64 = 0

    let loop: Loop
    var channel: StreamChannel?
    var handshake: WebSocketHandshake?
    var handshakeBuffer: [UInt8] = []
    var codec: WebSocketFrameCodec?

    public init(loop: Loop, token: UInt32, address: SocketAddress, host: String, path: String,
                security: StreamChannel.Security = .plain) {
        self.loop = loop
        self.token = token
        self.address = address
        self.host = host
        self.path = path
        self.security = security
    }

    /// Opens the socket and queues the connect (with a linked timeout).
    public func start(connectTimeoutNs: UInt64 = 5_000_000_000) throws(IOError) {
        do {
            channel = try StreamChannel(security)
        } catch {
            state = .closed(reason: .tlsFailed("\(error)"))
            return
        }
        fd = try Posix.tcpSocket(family: address.family)
        // The handshake nonce and the mask keys must be unpredictable (RFC 6455 10.3): getrandom.
        var random = SystemRandomNumberGenerator()
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let seed = random.next()
        handshake = WebSocketHandshake(host: host, path: path, nonce: nonce)
        codec = WebSocketFrameCodec(maskSeed: seed)
        handshakeBuffer.removeAll(keepingCapacity: true)
        state = .connecting
        loop.connect(fd: fd, to: address, token: token, timeoutNs: connectTimeoutNs)
    }

    /// Handles one completion of this connection; market messages are parsed with `parser` and
    /// go to `deliver` (a message that does not parse is counted in `parseErrors`).
    @inline(__always)
    public func onCompletion(_ c: URingCompletion, _ data: UnsafeRawBufferPointer?, nowNs: UInt64,
                             parser: inout BinanceStreamParser,
                             deliver: (BinanceStreamMessage) -> Void) {
        onCompletion(c, data, nowNs: nowNs) { bytes, ingressNs in
            switch parser.parse(bytes, ingressNs: ingressNs) {
            case .success(let m): deliver(m)
            case .failure: parseErrors += 1
            }
        }
    }

    /// Handles one completion of this connection; each whole text or binary message goes to
    /// `receive` with its ingress time (the bytes are valid during the call only). For streams
    /// other than market data (the user-data stream).
    public func onCompletion(_ c: URingCompletion, _ data: UnsafeRawBufferPointer?, nowNs: UInt64,
                             receive: (UnsafeRawBufferPointer, UInt64) -> Void) {
        guard let channel else { return }
        switch (c.operation, state) {
        case (.connect, .connecting):
            guard c.result == 0 else { return finish(.connectFailed(errno: -c.result)) }
            loop.receive(fd: fd, token: token)
            if channel.isSecure {
                state = .tlsHandshaking
                channel.start()
            } else {
                sendUpgradeRequest()
            }
            flush()
        case (.send, _):
            guard c.result >= 0 else { return finish(.sendFailed(errno: -c.result)) }
            channel.sent(Int(c.result))
            flush()
        case (.receive, .tlsHandshaking), (.receive, .handshaking), (.receive, .open):
            // Ingress: the moment these bytes left the socket into our hands.
            let ingressNs = LiveClock().nowNs()
            guard c.result > 0, let data else {
                if c.result == -ENOBUFS { loop.receive(fd: fd, token: token); return }  // out of buffers: re-arm
                return finish(c.result == 0 ? .endOfStream : .receiveFailed(errno: -c.result))
            }
            let outcome = channel.receive(data) { plaintext in
                switch state {
                case .open:
                    codec!.feed(plaintext)
                    drain(nowNs: ingressNs, receive: receive)
                case .handshaking:
                    handshakeBuffer.append(contentsOf: plaintext)
                    upgrade(nowNs: ingressNs, receive: receive)
                default:
                    break  // data after a close: ignored
                }
            }
            switch outcome {
            case .ok: break
            case .failed(let reason): return finish(.tlsFailed(reason))
            case .closed: return finish(.endOfStream)
            }
            if state == .tlsHandshaking, channel.isReady { sendUpgradeRequest() }
            flush()
            if !c.more, fd >= 0 { loop.receive(fd: fd, token: token) }
        default:
            break  // timeouts of completed connects, late completions after close
        }
    }

    func sendUpgradeRequest() {
        state = .handshaking
        let request = handshake!.requestBytes()
        request.withUnsafeBytes { try? channel!.queue($0) }
    }

    /// Checks the buffered handshake response; once upgraded, frames that came with it are parsed.
    func upgrade(nowNs: UInt64, receive: (UnsafeRawBufferPointer, UInt64) -> Void) {
        let outcome = handshakeBuffer.withUnsafeBytes { handshake!.parseResponse($0) }
        switch outcome {
        case .needMoreData: break
        case .failed: finish(.handshakeFailed)
        case .upgraded(let headerBytes):
            state = .open
            if handshakeBuffer.count > headerBytes {
                handshakeBuffer.withUnsafeBytes { codec!.feed(UnsafeRawBufferPointer(rebasing: $0[headerBytes...])) }
                drain(nowNs: nowNs, receive: receive)
            }
            handshakeBuffer = []
        }
    }

    func drain(nowNs: UInt64, receive: (UnsafeRawBufferPointer, UInt64) -> Void) {
        guard let codec else { return }
        loop: while true {
            switch codec.poll() {
            case .message(_, let bytes):
                lastMessageNs = nowNs
                messages += 1
                receive(bytes, nowNs)
            case .ping, .pong:
                lastMessageNs = nowNs
            case .needMoreData:
                break loop
            case .closed(let code):
                takeCodecOutput()
                flush()
                finish(.serverClosed(code: code))
                break loop
            case .error:
                takeCodecOutput()
                flush()
                finish(.protocolError)
                break loop
            }
        }
        takeCodecOutput()
    }

    /// Moves the codec's queued frames (pongs, close) into the channel.
    func takeCodecOutput() {
        guard let codec, let channel, codec.pendingOutput.count > 0 else { return }
        let n = codec.pendingOutput.count
        try? channel.queue(codec.pendingOutput)
        codec.consumeOutput(n)
    }

    /// Hands the channel's next bytes to the loop when no send is in flight.
    func flush() {
        guard fd >= 0, let channel else { return }
        _ = channel.nextSend { bytes in loop.send(fd: fd, bytes, token: token) }
    }

    /// Closes the connection for a reason found by the owner (a handshake that took too long).
    public func abort(_ reason: CloseReason) { finish(reason) }

    func finish(_ reason: CloseReason) {
        state = .closed(reason: reason)
        shutdown()
    }

    /// Closes the socket through the loop, which first drops what it has in flight on it (so a
    /// reused descriptor number never delivers to the wrong connection).
    public func shutdown() {
        if fd >= 0 {
            loop.close(fd: fd, token: token)
            fd = -1
        }
    }
}
