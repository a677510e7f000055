import COpenSSL

/// HMAC-SHA256 request signatures, as Binance's SIGNED endpoints define them: the lowercase hex
/// HMAC of `totalParams` (query string followed by body, without `signature`) keyed with the
/// account's secret.
enum SimSigner {
    static func signature(secret: String, payload: String) -> String {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let key = Array(secret.utf8), message = Array(payload.utf8)
        _ = key.withUnsafeBytes { k in
            message.withUnsafeBytes { m in
                HMAC(EVP_sha256(), k.baseAddress, Int32(k.count), m.bindMemory(to: UInt8.self).baseAddress, m.count,
                     &out, &length)
            }
        }
        let hex: [Character] = Array("0123456789abcdef")
        var s = ""
        s.reserveCapacity(Int(length) * 2)
        for b in out.prefix(Int(length)) {
            s.append(hex[Int(b >> 4)])
            s.append(hex[Int(b & 0xF)])
        }
        return s
    }

    /// Constant-time comparison: a signature check must not leak how many characters matched.
    static func matches(_ a: String, _ b: String) -> Bool {
        let x = Array(a.lowercased().utf8), y = Array(b.lowercased().utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in x.indices { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
