import NIOCore
import NIOHTTP1
import NIOPosix

/// An `http://` or `https://` URL split into what a client needs. `description` is redacted
/// (scheme, host and port only): Slack webhook paths and some webhook queries are secrets.
public struct AlertURL: Sendable, Hashable, CustomStringConvertible {
    public let scheme: String
    /// Host name or IP literal (IPv6 without brackets).
    public let host: String
    public let port: Int
    /// Path and query as sent in the request line (`/` when the URL has none).
    public let pathAndQuery: String
    /// The URL as given.
    public let string: String

    /// Nil unless `string` is `http://` or `https://`, has a host, a port in 1…65535 when
    /// one is given, and no user info.
    public init?(_ string: String) {
        let lower = string.lowercased()
        let scheme: String
        if lower.hasPrefix("http://") { scheme = "http" } else if lower.hasPrefix("https://") { scheme = "https" } else {
            return nil
        }
        let rest = string.dropFirst(scheme.count + 3)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var path = String(rest[authorityEnd...])
        if let hash = path.firstIndex(of: "#") { path = String(path[..<hash]) }
        if path.isEmpty { path = "/" } else if path.hasPrefix("?") { path = "/" + path }
        guard !authority.isEmpty, !authority.contains("@"), !path.contains(where: { $0 == " " || $0.isNewline }) else {
            return nil
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { return nil }
        let defaultPort = scheme == "http" ? 80 : 443
        var port = defaultPort
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { return nil }
            port = p
        }
        self.scheme = scheme
        self.host = String(host)
        self.port = port
        self.pathAndQuery = path
        self.string = string
    }

    /// `host:port`, for logs and errors.
    public var endpoint: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// The `Host` header: the port only when it is not the scheme's default.
    var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "http" ? 80 : 443) ? h : "\(h):\(port)"
    }

    public var description: String { "\(scheme)://\(endpoint)/…" }
}

/// What an endpoint answered.
public struct AlertHTTPResponse: Sendable, Equatable {
    public var status: Int
    /// The body, at most the first 64 KiB.
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Sends one HTTP POST and returns the answer (any status); throws on I/O failure or timeout.
/// The HTTP sinks share this, so tests and deployments can swap how bytes reach the network.
public protocol AlertHTTPTransport: Sendable {
    func post(_ url: AlertURL, headers: [(name: String, value: String)], body: [UInt8], timeoutMs: Int64)
        async throws -> AlertHTTPResponse
}

extension AlertHTTPTransport {
    /// POSTs JSON and throws `AlertSendError.httpStatus` unless the answer is 2xx.
    func postJSON(_ url: AlertURL, body: [UInt8], extraHeaders: [(name: String, value: String)] = [],
                  timeoutMs: Int64) async throws -> AlertHTTPResponse {
        let headers = [(name: "Content-Type", value: "application/json; charset=utf-8")] + extraHeaders
        let response = try await post(url, headers: headers, body: body, timeoutMs: timeoutMs)
        guard (200..<300).contains(response.status) else {
            let text = String(decoding: response.body.prefix(200), as: UTF8.self)
            throw AlertSendError.httpStatus(response.status, bodyPrefix: text)
        }
        return response
    }
}

// MARK: - Plain HTTP over SwiftNIO

/// HTTP/1.1 POST over SwiftNIO: one connection per request (`Connection: close`), the whole
/// exchange bounded by `timeoutMs` (connect included), task cancellation honoured. Plain
/// `http://` only — TLS would need swift-nio-ssl, which this target does not depend on;
/// `DefaultAlertHTTPTransport` sends `https://` through URLSession instead.
///
/// ## Performance
/// A connection per alert: alerts are rare and de-duplicated, so pooling would only add state.
public struct NIOAlertHTTPTransport: AlertHTTPTransport {
    let group: any EventLoopGroup

    public init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.group = group
    }

    public func post(_ url: AlertURL, headers: [(name: String, value: String)], body: [UInt8], timeoutMs: Int64)
        async throws -> AlertHTTPResponse
    {
        guard url.scheme == "http" else { throw AlertSendError.unsupportedScheme(url.scheme) }
        let loop = group.next()
        let promise = loop.makePromise(of: AlertHTTPResponse.self)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: url.pathAndQuery)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "User-Agent", value: "Tickline-Alerts/1")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.count))
        head.headers.add(name: "Connection", value: "close")
        let requestHead = head
        let requestBody = ByteBuffer(bytes: body)
        let endpoint = url.endpoint

        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(.milliseconds(timeoutMs))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        AlertHTTPExchangeHandler(head: requestHead, body: requestBody, promise: promise, endpoint: endpoint))
                }
            }
        let timeout = loop.scheduleTask(in: .milliseconds(timeoutMs)) {
            promise.fail(AlertSendError.timedOut(timeoutMs: timeoutMs))
        }
        let connect = bootstrap.connect(host: url.host, port: url.port)
        connect.whenFailure { error in
            promise.fail(AlertSendError.connectFailed(endpoint: endpoint, reason: Self.describe(error)))
        }
        promise.futureResult.whenComplete { _ in
            timeout.cancel()
            connect.whenSuccess { $0.close(promise: nil) }
        }
        return try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            promise.fail(CancellationError())
        }
    }

    static func describe(_ error: any Error) -> String {
        if let io = error as? IOError { return "\(io.description)" }
        if let channel = error as? ChannelError { return "\(channel)" }
        return "\(error)"
    }
}

/// Writes the request once connected, collects the answer, completes the promise once, closes.
private final class AlertHTTPExchangeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    static let bodyLimitBytes = 64 * 1024

    let head: HTTPRequestHead
    let body: ByteBuffer
    let promise: EventLoopPromise<AlertHTTPResponse>
    let endpoint: String
    var status = 0
    var received: [UInt8] = []

    init(head: HTTPRequestHead, body: ByteBuffer, promise: EventLoopPromise<AlertHTTPResponse>, endpoint: String) {
        self.head = head
        self.body = body
        self.promise = promise
        self.endpoint = endpoint
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            status = Int(responseHead.status.code)
        case .body(var chunk):
            let room = Self.bodyLimitBytes - received.count
            if room > 0, let bytes = chunk.readBytes(length: min(room, chunk.readableBytes)) {
                received += bytes
            }
        case .end:
            promise.succeed(AlertHTTPResponse(status: status, body: received))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        promise.fail(AlertSendError.io("\(endpoint): \(NIOAlertHTTPTransport.describe(error))"))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        promise.fail(AlertSendError.connectionClosed(endpoint: endpoint))  // no-op once completed
        context.fireChannelInactive()
    }
}
