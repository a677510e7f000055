import Hummingbird
import HummingbirdWebSocket
import NIOCore

/// The request context of every control-plane route, REST and WebSocket alike.
///
/// `identity` is `nil` until `TokenAuthMiddleware` has verified the request's token; routes behind
/// that middleware can rely on it being set (and `requireRole` checks anyway). Public routes
/// (`/health`) simply leave it `nil`.
public struct ControlRequestContext: RequestContext, WebSocketRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<ControlRequestContext>
    public var identity: Identity?
    /// The peer (the rate limiter's key).
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress
    }
}
