extension ControlRequestContext {
    /// The request's identity if its role is at least `role`. Throws `AuthError.forbidden` (403,
    /// `{"error":"Forbidden: requires trader role"}`) for a lower role, and `.missingToken` (401)
    /// if no token was verified at all (a route mounted outside `TokenAuthMiddleware` by mistake).
    /// Thrown from a route, Hummingbird answers with the error's JSON response.
    ///
    /// ```swift
    /// api.post("trading/enable") { _, context in
    ///     try context.requireRole(.trader)
    ///     …
    /// }
    /// ```
    @discardableResult
    public func requireRole(_ role: Role) throws(AuthError) -> Identity {
        guard let identity else { throw .missingToken }
        guard identity.role >= role else { throw .forbidden(requires: role) }
        return identity
    }
}
