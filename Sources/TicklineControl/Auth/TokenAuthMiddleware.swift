import Hummingbird
import Logging

/// Authenticates control-plane requests: finds the bearer token, verifies it with the
/// `TokenAuthority`, and either answers 401 itself (`AuthError`'s JSON) or passes the request on
/// with `context.identity` set.
///
/// The token is read from `Authorization: Bearer <token>`, or — only for a WebSocket upgrade
/// (`Upgrade: websocket`), since browsers cannot set headers on one — from the `token` query
/// parameter. Ordinary requests never take it from the query: URLs end up in logs and histories.
/// An `Authorization` header with another scheme counts as no token.
///
/// Mount it on the routes that need a token (`router.group("api/v1").add(middleware:)`), not in
/// front of `/health`, and on the WebSocket router's routes too (simplest: one router for both).
///
/// ## Caveat: refused WebSocket upgrades
/// hummingbird-websocket (2.8) turns any non-200 answer to an upgrade request into a bare
/// `400 Bad Request` without a body (`HTTP1WebSocketUpgradeChannel.writeFailedUpgrade`), so a
/// WebSocket client with a bad token sees 400, not the 401 JSON. Browsers do not show handshake
/// statuses to scripts anyway; the reason is in the debug log.
public struct TokenAuthMiddleware: RouterMiddleware {
    public typealias Context = ControlRequestContext

    let authority: TokenAuthority

    public init(authority: TokenAuthority) {
        self.authority = authority
    }

    public func handle(
        _ request: Request, context: ControlRequestContext,
        next: (Request, ControlRequestContext) async throws -> Response
    ) async throws -> Response {
        guard let token = Self.token(in: request) else { return AuthError.missingToken.response() }
        let identity: Identity
        do {
            identity = try await authority.verify(token)
        } catch {
            context.logger.debug("refused token", metadata: ["reason": "\(error.message)"])
            return error.response()
        }
        var context = context
        context.identity = identity
        context.logger[metadataKey: "user"] = "\(identity.user)"
        return try await next(request, context)
    }

    /// The bearer token of `request`, or `nil` if it carries none (or an empty one). Whatever
    /// follows `Bearer ` is the token, trimmed of spaces; anything malformed in it is the
    /// authority's to refuse.
    static func token(in request: Request) -> Substring? {
        if let authorization = request.headers[.authorization] {
            // RFC 7235 §2.1: the scheme is case-insensitive.
            let scheme = "bearer "
            guard authorization.count >= scheme.count, authorization.prefix(scheme.count).lowercased() == scheme else {
                return nil
            }
            let token = trimmed(authorization.dropFirst(scheme.count))
            return token.isEmpty ? nil : token
        }
        if isWebSocketUpgrade(request), let token = request.uri.queryParameters["token"], !token.isEmpty {
            return token
        }
        return nil
    }

    static func isWebSocketUpgrade(_ request: Request) -> Bool {
        guard let upgrade = request.headers[.upgrade] else { return false }
        return upgrade.split(separator: ",").contains { trimmed($0).lowercased() == "websocket" }
    }

    private static func trimmed(_ s: Substring) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = s.firstIndex(where: { !isSpace($0) }), let last = s.lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return s[first...last]
    }
}
