import COpenSSL

/// HMAC-SHA256 signatures for Binance's SIGNED endpoints: the lowercase hex HMAC of
/// `totalParams` — the query string followed directly by the request body, without the
/// `signature` parameter itself — keyed with the account's secret.
/// Source: Binance API docs, "SIGNED (TRADE and USER_DATA) Endpoint security" (USD-M futures:
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info; the
/// worked HMAC example is on the spot page `binance-spot-api-docs/rest-api/endpoint-security-type`).
///
/// The key's inner and outer SHA-256 states are computed once per account (RFC 2104's ipad /
/// opad blocks, `shim_hmac_sha256_key`); each signature copies them and hashes, and writes 64 hex
/// bytes into a buffer the signer owns. No allocation per signature: OpenSSL's `EVP_MAC_init`,
/// the obvious way, allocates twice on every re-initialisation (measured with
/// `CRYPTO_set_mem_functions`). The secret itself is not kept; the derived states are wiped at
/// `deinit`.
///
/// ## Performance
/// One HMAC-SHA256 over a few hundred bytes per request, no key schedule and no allocation.
///
/// ## Caveats
/// - Not thread-safe: one owner (the order stage's thread).
/// - The buffer `sign` returns is valid until the next `sign` call.
public final class RequestSigner {
    public enum SetupError: Error, Equatable, Sendable {
        case emptySecret
    }

    /// Hex characters of one signature (SHA-256: 32 bytes → 64).
    public static let hexLength = 64

    let key: UnsafeMutablePointer<shim_hmac_sha256_key>
    let digest: UnsafeMutableRawBufferPointer
    let hex: UnsafeMutableRawBufferPointer
    /// Signatures made (metrics).
    public private(set) var signatures = 0

    /// - Parameter secret: the API secret's bytes (only the derived HMAC states are kept).
    public init(secret: some Collection<UInt8>) throws(SetupError) {
        guard !secret.isEmpty else { throw .emptySecret }
        var bytes = Array(secret)
        let key = UnsafeMutablePointer<shim_hmac_sha256_key>.allocate(capacity: 1)
        bytes.withUnsafeBufferPointer { shim_hmac_sha256_key_init(key, $0.baseAddress, $0.count) }
        self.key = key
        for i in bytes.indices { bytes[i] = 0 }  // do not leave the secret in freed heap memory
        digest = .allocate(byteCount: 64, alignment: 16)
        hex = .allocate(byteCount: Self.hexLength, alignment: 16)
    }

    /// `init(secret:)` from a UTF-8 secret (configuration, tests).
    public convenience init(secret: String) throws(SetupError) {
        try self.init(secret: Array(secret.utf8))
    }

    deinit {
        OPENSSL_cleanse(key, MemoryLayout<shim_hmac_sha256_key>.size)
        key.deallocate()
        digest.deallocate()
        hex.deallocate()
    }

    /// The hex signature of `query` followed by `body` (either may be empty): 64 bytes, valid
    /// until the next call.
    public func sign(query: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0))
        -> UnsafeRawBufferPointer
    {
        shim_hmac_sha256(key, query.baseAddress, query.count, body.baseAddress, body.count,
                         digest.baseAddress!.assumingMemoryBound(to: UInt8.self))
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<32 {
            let b = digest[i]
            hex[2 * i] = digits.utf8Start[Int(b >> 4)]
            hex[2 * i + 1] = digits.utf8Start[Int(b & 0xF)]
        }
        signatures &+= 1
        return UnsafeRawBufferPointer(hex)
    }

    /// Appends the signature of `payload` to `out` (no separator).
    public func appendSignature(of payload: [UInt8], to out: inout [UInt8]) {
        let signature = payload.withUnsafeBytes { sign(query: $0) }
        out.append(contentsOf: signature)
    }

    /// The signature as a `String` (allocates: tests and tools).
    public func signature(query: String, body: String = "") -> String {
        var q = query, b = body
        return q.withUTF8 { qb in
            b.withUTF8 { bb in
                String(decoding: sign(query: UnsafeRawBufferPointer(qb), body: UnsafeRawBufferPointer(bb)), as: UTF8.self)
            }
        }
    }
}
