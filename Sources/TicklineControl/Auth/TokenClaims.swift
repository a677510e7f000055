import JWTKit

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The payload of a control-plane token (JWT, HS256):
///
/// ```json
/// {"sub":"alice","account":1,"role":"trader","iat":1767225600,"exp":1767830400}
/// ```
///
/// `account` is left out for a user who sees every account. `iat` and `exp` are written as whole
/// seconds since the epoch; any JSON number is read (other issuers may write fractions).
///
/// `verify(using:)` checks nothing: `TokenAuthority` checks `exp` against its own clock, and does
/// so *before* the signature, so an expired token is reported as expired whatever its signature.
public struct TokenClaims: JWTPayload, Equatable {
    public var sub: SubjectClaim
    public var account: UInt16?
    public var role: Role
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(user: String, role: Role, account: UInt16?, issuedAtSeconds: Int64, expiresAtSeconds: Int64) {
        self.sub = SubjectClaim(value: user)
        self.account = account
        self.role = role
        self.iat = IssuedAtClaim(value: Date(timeIntervalSince1970: Double(issuedAtSeconds)))
        self.exp = ExpirationClaim(value: Date(timeIntervalSince1970: Double(expiresAtSeconds)))
    }

    /// The identity these claims grant (once verified).
    public var identity: Identity { Identity(user: sub.value, role: role, account: account) }

    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    enum CodingKeys: String, CodingKey {
        case sub, account, role, iat, exp
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.sub = SubjectClaim(value: try c.decode(String.self, forKey: .sub))
        self.account = try c.decodeIfPresent(UInt16.self, forKey: .account)
        self.role = try c.decode(Role.self, forKey: .role)
        self.iat = IssuedAtClaim(value: Date(timeIntervalSince1970: try c.decode(Double.self, forKey: .iat)))
        self.exp = ExpirationClaim(value: Date(timeIntervalSince1970: try c.decode(Double.self, forKey: .exp)))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sub.value, forKey: .sub)
        try c.encodeIfPresent(account, forKey: .account)
        try c.encode(role, forKey: .role)
        // Whole seconds, as integers: a `Date` through JSONEncoder may come out as `1.7e9`-style
        // doubles, which some verifiers reject for NumericDate.
        try c.encode(Int64(iat.value.timeIntervalSince1970.rounded(.down)), forKey: .iat)
        try c.encode(Int64(exp.value.timeIntervalSince1970.rounded(.down)), forKey: .exp)
    }
}
