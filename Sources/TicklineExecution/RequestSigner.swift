import COpenSSL

/// HMAC-SHA256 signatures for Binance's SIGNED endpoints: the lowercase hex HMAC of
/// `totalParams` — the query string followed directly by the request body, without the
/// `signature` parameter itself — keyed with the account's secret.
/// Source: Binance API docs, "SIGNED (TRADE and USER_DATA) Endpoint security" (USD-M futures:
/// https://developers.binance.com/docs/derivatives/usds-margined-futures/general-info; the
/// worked HMAC example is on the spot page `binance-spot-api-docs/rest-api/endpoint-security-type`).
///
/// One keyed OpenSSL `EVP_MAC_CTX` per account, made once: each signature re-initialises it with
/// the same key (no key schedule per request) and writes 64 hex bytes into a buffer the signer
/// owns. The secret is handed to OpenSSL at `init` and not kept in Swift memory.
///
/// ## Performance
/// One HMAC-SHA256 over a few hundred bytes per request, no key schedule (the keyed context is
/// reused) and the hex written into the signer's own buffer.
///
/// ## Caveats
/// - Not thread-safe: one owner (the order stage's thread).
/// - The buffer `sign` returns is valid until the next `sign` call.
public final class RequestSigner {
    public enum SetupError: Error, Equatable, Sendable {
        /// OpenSSL could not provide HMAC-SHA256 (no default provider?).
        case openSSL(String)
        case emptySecret
    }

    /// Hex characters of one signature (SHA-256: 32 bytes → 64).
    public static let hexLength = 64

    let context: OpaquePointer
    let mac: OpaquePointer
    let digest: UnsafeMutableRawBufferPointer
    let hex: UnsafeMutableRawBufferPointer
    /// Signatures made (metrics).
    public private(set) var signatures = 0

    /// - Parameter secret: the API secret's bytes (copied into OpenSSL's context).
    public init(secret: some Collection<UInt8>) throws(SetupError) {
        guard !secret.isEmpty else { throw .emptySecret }
        guard let mac = EVP_MAC_fetch(nil, "HMAC", nil) else { throw .openSSL("EVP_MAC_fetch(HMAC) failed") }
        guard let context = EVP_MAC_CTX_new(mac) else {
            EVP_MAC_free(mac)
            throw .openSSL("EVP_MAC_CTX_new failed")
        }
        var key = Array(secret)
        var name = Array("SHA256".utf8CString)
        let ok = name.withUnsafeMutableBufferPointer { n in
            var params = [OSSL_PARAM_construct_utf8_string("digest", n.baseAddress, 0), OSSL_PARAM_construct_end()]
            return key.withUnsafeBufferPointer { k in EVP_MAC_init(context, k.baseAddress, k.count, &params) }
        }
        for i in key.indices { key[i] = 0 }  // do not leave the secret in freed heap memory
        guard ok == 1 else {
            EVP_MAC_CTX_free(context)
            EVP_MAC_free(mac)
            throw .openSSL("EVP_MAC_init(HMAC-SHA256) failed")
        }
        self.mac = mac
        self.context = context
        digest = .allocate(byteCount: 64, alignment: 16)
        hex = .allocate(byteCount: Self.hexLength, alignment: 16)
    }

    /// `init(secret:)` from a UTF-8 secret (configuration, tests).
    public convenience init(secret: String) throws(SetupError) {
        try self.init(secret: Array(secret.utf8))
    }

    deinit {
        EVP_MAC_CTX_free(context)
        EVP_MAC_free(mac)
        digest.deallocate()
        hex.deallocate()
    }

    /// The hex signature of `query` followed by `body` (either may be empty): 64 bytes, valid
    /// until the next call.
    public func sign(query: UnsafeRawBufferPointer, body: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0))
        -> UnsafeRawBufferPointer
    {
        // A nil key re-initialises the context with the key given at init (OpenSSL 3 HMAC provider).
        var ok = EVP_MAC_init(context, nil, 0, nil) == 1
        if ok, query.count > 0 { ok = update(query) }
        if ok, body.count > 0 { ok = update(body) }
        var length = 0
        if ok { ok = EVP_MAC_final(context, digest.baseAddress!.assumingMemoryBound(to: UInt8.self), &length, 64) == 1 }
        precondition(ok && length == 32, "HMAC-SHA256 failed in OpenSSL")  // only on memory exhaustion
        let digits: StaticString = "0123456789abcdef"
        for i in 0..<32 {
            let b = digest[i]
            hex[2 * i] = digits.utf8Start[Int(b >> 4)]
            hex[2 * i + 1] = digits.utf8Start[Int(b & 0xF)]
        }
        signatures &+= 1
        return UnsafeRawBufferPointer(hex)
    }

    func update(_ bytes: UnsafeRawBufferPointer) -> Bool {
        EVP_MAC_update(context, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), bytes.count) == 1
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
