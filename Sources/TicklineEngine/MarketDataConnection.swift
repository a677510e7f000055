import TicklineBinance
import TicklineCore
import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// One market-data WebSocket on the parse stage's I/O loop (io_uring or polling): TCP connect (with a timeout), the
/// opening handshake, frames through the RFC 6455 codec, and each message parsed in place into
/// the core's events.
///
/// Driven by the owner's `doWork`: `onCompletion` takes the loop's completions for this
/// connection's token and returns parsed messages through `deliver`. Writes (handshake, pongs,
/// close) go out one at a time, because the codec's output buffer may move when more is queued.
/// Reconnect policy (backoff, watchdog, backfill) belongs to the owner: this reports `.closed`.
public final class MarketDataConnection<Loop: SocketEventLoop> {
    public enum State: Equatable, Sendable {
        case idle, connecting, handshaking, open
        case closed(reason: CloseReason)
    }

    public enum CloseReason: Equatable, Sendable {
        case connectFailed(errno: Int32)
        case handshakeFailed
        case protocolError
        case serverClosed(code: UInt16)
        case endOfStream
        case receiveFailed(errno: Int32)
    }

    public let token: UInt32
    public let address: SocketAddress
    public let host: String
    public let path: String
    public private(set) var state = State.idle
    public private(set) var messages = 0
    public private(set) var parseErrors = 0
    public private(set) var fd: Int32 = -1
    public private(set) var lastMessageNs: UInt64 = 0

    let loop: Loop
    var handshake: WebSocketHandshake?
    var handshakeBuffer: [UInt8] = []
    var request: [UInt8] = []
    var codec: WebSocketFrameCodec?
    var sendInFlight = 0

    public init(loop: Loop, token: UInt32, address: SocketAddress, host: String, path: String) {
        self.loop = loop
        self.token = token
        self.address = address
        self.host = host
        self.path = path
    }

    /// Opens the socket and queues the connect (with a linked timeout).
    public func start(connectTimeoutNs: UInt64 = 5_000_000_000) throws(IOError) {
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

    /// Handles one completion of this connection; parsed messages go to `deliver`.
    public func onCompletion(_ c: URingCompletion, _ data: UnsafeRawBufferPointer?, nowNs: UInt64,
                             parser: inout BinanceStreamParser,
                             deliver: (BinanceStreamMessage) -> Void) {
        switch (c.operation, state) {
        case (.connect, .connecting):
            guard c.result == 0 else { return finish(.connectFailed(errno: -c.result)) }
            state = .handshaking
            request = handshake!.requestBytes()
            sendRequest()
            loop.receive(fd: fd, token: token)
        case (.send, _):
            sendInFlight = 0
            if c.result > 0, state == .open || state == .handshaking, request.isEmpty, let codec {
                codec.consumeOutput(Int(c.result))
            }
            if !request.isEmpty, c.result > 0 { request.removeAll() }
            flushOutput()
        case (.receive, .handshaking):
            guard c.result > 0, let data else { return finish(c.result == 0 ? .endOfStream : .receiveFailed(errno: -c.result)) }
            handshakeBuffer += data
            let outcome = handshakeBuffer.withUnsafeBytes { handshake!.parseResponse($0) }
            switch outcome {
            case .needMoreData: break
            case .failed: finish(.handshakeFailed)
            case .upgraded(let headerBytes):
                state = .open
                if handshakeBuffer.count > headerBytes {
                    handshakeBuffer.withUnsafeBytes {
                        codec!.feed(UnsafeRawBufferPointer(rebasing: $0[headerBytes...]))
                    }
                    drain(nowNs: nowNs, parser: &parser, deliver: deliver)
                }
            }
            if !c.more, state == .open { loop.receive(fd: fd, token: token) }
        case (.receive, .open):
            // Ingress: the moment these bytes left the socket into our hands.
            let ingressNs = LiveClock().nowNs()
            guard c.result > 0, let data else {
                if c.result == -ENOBUFS { loop.receive(fd: fd, token: token); return }  // out of buffers: re-arm
                return finish(c.result == 0 ? .endOfStream : .receiveFailed(errno: -c.result))
            }
            codec!.feed(data)
            drain(nowNs: ingressNs, parser: &parser, deliver: deliver)
            if !c.more, state == .open { loop.receive(fd: fd, token: token) }
        default:
            break  // timeouts of completed connects, late completions after close
        }
    }

    func drain(nowNs: UInt64, parser: inout BinanceStreamParser, deliver: (BinanceStreamMessage) -> Void) {
        guard let codec else { return }
        loop: while true {
            switch codec.poll() {
            case .message(_, let bytes):
                lastMessageNs = nowNs
                messages += 1
                switch parser.parse(bytes, ingressNs: nowNs) {
                case .success(let m): deliver(m)
                case .failure: parseErrors += 1
                }
            case .ping, .pong:
                lastMessageNs = nowNs
            case .needMoreData:
                break loop
            case .closed(let code):
                flushOutput()
                finish(.serverClosed(code: code))
                break loop
            case .error:
                flushOutput()
                finish(.protocolError)
                break loop
            }
        }
        flushOutput()
    }

    func sendRequest() {
        request.withUnsafeBytes { bytes in
            sendInFlight = bytes.count
            loop.send(fd: fd, bytes, token: token)
        }
    }

    /// Sends the codec's queued output (pongs, close) when nothing is in flight.
    func flushOutput() {
        guard sendInFlight == 0, request.isEmpty, let codec, codec.pendingOutput.count > 0, fd >= 0 else { return }
        sendInFlight = codec.pendingOutput.count
        loop.send(fd: fd, codec.pendingOutput, token: token)
    }

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
