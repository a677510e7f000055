/// What a control-plane user may do, in increasing order of power: a `viewer` reads, a `trader`
/// also changes trading state (enable/disable trading, close a position), an `admin` also
/// manages the engine. A route names the least role it needs (`ControlRequestContext.requireRole`);
/// any higher role passes.
///
/// Carried in the token's `role` claim by its raw value (`"viewer"`, `"trader"`, `"admin"`); any
/// other value makes the token invalid.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer
    case trader
    case admin

    /// Position in the order viewer < trader < admin.
    var rank: Int {
        switch self {
        case .viewer: return 0
        case .trader: return 1
        case .admin: return 2
        }
    }

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
