import HTTPTypes
import Hummingbird

/// Answers a known path asked with a method it does not serve with 405 and an `Allow` header
/// (Hummingbird's router answers 404 for any unmatched method and path alike).
public struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Path patterns ("accounts/*/trading": `*` is one segment) and the methods each serves.
    let routes: [(segments: [Substring], methods: [HTTPRequest.Method])]

    public init(_ routes: [(String, [HTTPRequest.Method])]) {
        self.routes = routes.map { ($0.0.split(separator: "/"), $0.1) }
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            let response = try await next(request, context)
            guard response.status == .notFound, let allowed = allowed(request) else { return response }
            return methodNotAllowed(allowed)
        } catch let error as HTTPError where error.status == .notFound {
            guard let allowed = allowed(request) else { throw error }
            return methodNotAllowed(allowed)
        }
    }

    func allowed(_ request: Request) -> [HTTPRequest.Method]? {
        let path = request.uri.path.split(separator: "/")
        guard let route = routes.first(where: { r in
            r.segments.count == path.count && zip(r.segments, path).allSatisfy { $0 == "*" || $0 == $1 }
        }), !route.methods.contains(request.method) else { return nil }
        return route.methods
    }

    func methodNotAllowed(_ allowed: [HTTPRequest.Method]) -> Response {
        var response = ControlAPI.json(JSONText.error("method not allowed"), status: .methodNotAllowed)
        response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ")
        return response
    }
}
