import Hummingbird

/// Why a control-plane request was refused, with the exact JSON it is answered with:
///
/// | case | status | body |
/// |---|---|---|
/// | `missingToken` | 401 | `{"error":"Missing token"}` |
/// | `invalidToken` | 401 | `{"error":"Invalid token"}` |
/// | `tokenExpired` | 401 | `{"error":"Token has expired"}` |
/// | `forbidden(requires: .trader)` | 403 | `{"error":"Forbidden: requires trader role"}` |
///
/// `invalidToken` covers every token that is not ours and current: malformed (not three base64url
/// parts of JSON), an algorithm other than HS256 (`none` included), a bad signature (tampered, or
/// signed with another secret), or claims of the wrong shape. The client is not told which: that
/// would only help someone forging tokens.
///
/// An `HTTPResponseError`, so a route may simply throw it (`ControlRequestContext.requireRole`).
/// 401 responses carry `WWW-Authenticate: Bearer` (RFC 6750 §3).
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible, HTTPResponseError {
    case missingToken
    case invalidToken
    case tokenExpired
    case forbidden(requires: Role)

    /// The `error` string of the JSON body.
    public var message: String {
        switch self {
        case .missingToken: return "Missing token"
        case .invalidToken: return "Invalid token"
        case .tokenExpired: return "Token has expired"
        case .forbidden(let role): return "Forbidden: requires \(role.rawValue) role"
        }
    }

    public var status: HTTPResponse.Status {
        switch self {
        case .missingToken, .invalidToken, .tokenExpired: return .unauthorized
        case .forbidden: return .forbidden
        }
    }

    public var description: String { message }

    /// The complete response: status, `Content-Type: application/json`, the JSON body.
    public func response() -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        switch self {
        case .missingToken: headers[.wwwAuthenticate] = "Bearer"
        case .invalidToken, .tokenExpired: headers[.wwwAuthenticate] = "Bearer error=\"invalid_token\""
        case .forbidden: break
        }
        // The messages are fixed ASCII without quotes or backslashes: no escaping needed.
        let body = "{\"error\":\"" + message + "\"}"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }
}
