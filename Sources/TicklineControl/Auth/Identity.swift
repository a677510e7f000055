/// Who a control-plane request comes from: the verified claims of its token. Set on
/// `ControlRequestContext.identity` by `TokenAuthMiddleware`; routes read it, never build it.
public struct Identity: Sendable, Equatable, CustomStringConvertible {
    /// The token's `sub` claim.
    public let user: String
    public let role: Role
    /// The one account this user is bound to, or `nil` for a user who sees every account.
    public let account: UInt16?

    public init(user: String, role: Role, account: UInt16?) {
        self.user = user
        self.role = role
        self.account = account
    }

    /// Whether this user may see (and, with the role for it, act on) account `id`: a user bound to
    /// an account sees only that one.
    public func canAccess(account id: UInt16) -> Bool { account == nil || account == id }

    public var description: String {
        "\(user) (\(role.rawValue)" + (account.map { ", account \($0))" } ?? ")")
    }
}
