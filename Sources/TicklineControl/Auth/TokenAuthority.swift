import JWTKit
import TicklineCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Issues and verifies control-plane tokens: JWT, HS256 with the `JWTSecret`, valid 7 days,
/// stateless (nothing is stored; a token is good until its `exp`, so the way to revoke every token
/// is a new secret).
///
/// `verify` goes in this order, each step cheaper than the next and none trusting the token yet:
/// 1. shape: three base64url parts, the first two JSON — else `invalidToken`;
/// 2. `exp` read from the *unverified* payload against `nowSeconds()` — expired is `tokenExpired`,
///    whatever the signature or algorithm (a client with an old token is told to get a new one);
/// 3. header `alg` must be exactly `HS256` — else `invalidToken`. jwt-kit does not check this for
///    us: a key added with `add(hmac:)` verifies whatever the header says, so `alg: none` or
///    `HS512` would otherwise reach the HMAC and fail only by luck of the signature;
/// 4. the HMAC-SHA256 signature (jwt-kit) — else `invalidToken`.
///
/// ## Performance
/// Cold path: a handful of small allocations (base64 and JSON decoding) and one HMAC per request.
/// `JWTKeyCollection` is an actor, so signatures are checked one at a time across all connections:
/// a few microseconds each, nothing at control-plane request rates.
public struct TokenAuthority: Sendable {
    public static let defaultLifetimeSeconds: Int64 = 7 * 24 * 3600
    /// Longer strings are refused before any decoding (ours are ~200 bytes).
    static let maximumTokenBytes = 8192

    let keys: JWTKeyCollection
    public let lifetimeSeconds: Int64
    /// Wall-clock seconds since the epoch; injected so tests (and replay) choose the time.
    let nowSeconds: @Sendable () -> Int64

    public init(
        secret: JWTSecret, lifetimeSeconds: Int64 = defaultLifetimeSeconds,
        nowSeconds: @escaping @Sendable () -> Int64 = { LiveClock().wallTimeMs() / 1000 }
    ) async {
        self.keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret.bytes), digestAlgorithm: .sha256)
        self.lifetimeSeconds = lifetimeSeconds
        self.nowSeconds = nowSeconds
    }

    /// A signed token for `user` with `role`, bound to `account` if given, issued now and expiring
    /// `lifetimeSeconds` later.
    public func issue(user: String, role: Role, account: UInt16? = nil) async throws -> String {
        let now = nowSeconds()
        let claims = TokenClaims(
            user: user, role: role, account: account, issuedAtSeconds: now, expiresAtSeconds: now + lifetimeSeconds)
        return try await keys.sign(claims)
    }

    /// The identity a token grants, or why it grants none (see the type's comment for the order of
    /// the checks). Never throws anything but `AuthError.invalidToken` or `.tokenExpired`.
    public func verify(_ token: some StringProtocol) async throws(AuthError) -> Identity {
        let bytes = Array(token.utf8)
        guard bytes.count <= Self.maximumTokenBytes else { throw .invalidToken }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 3,
            let headerJSON = Base64URL.decode(parts[0]),
            let payloadJSON = Base64URL.decode(parts[1])
        else { throw .invalidToken }

        let decoder = JSONDecoder()
        let header: JWTHeader
        let unverified: TokenClaims
        do {
            header = try decoder.decode(JWTHeader.self, from: Data(headerJSON))
            unverified = try decoder.decode(TokenClaims.self, from: Data(payloadJSON))
        } catch {
            throw .invalidToken
        }

        // RFC 7519 §4.1.4: the token must not be accepted on or after `exp`.
        guard unverified.exp.value.timeIntervalSince1970 > Double(nowSeconds()) else { throw .tokenExpired }

        guard header.alg == "HS256" else { throw .invalidToken }

        let verified: TokenClaims
        do {
            verified = try await keys.verify(bytes, as: TokenClaims.self)
        } catch {
            throw .invalidToken
        }
        guard !verified.sub.value.isEmpty else { throw .invalidToken }
        return verified.identity
    }
}

/// Base64url without padding (RFC 7515 §2, "Base64url Encoding"), strictly: `+`, `/` and `=` are
/// not in the alphabet, and a length of 1 mod 4 is not an encoding of anything.
enum Base64URL {
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        guard text.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(text.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for c in text {
            let v: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): v = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): v = UInt32(c - UInt8(ascii: "a")) + 26
            case UInt8(ascii: "0")...UInt8(ascii: "9"): v = UInt32(c - UInt8(ascii: "0")) + 52
            case UInt8(ascii: "-"): v = 62
            case UInt8(ascii: "_"): v = 63
            default: return nil
            }
            accumulator = (accumulator << 6) | v
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        return out
    }
}
