import COpenSSL

/// TLS for a socket the I/O loop owns: OpenSSL works on two memory BIOs, and the owner moves
/// ciphertext between them and the socket (so io_uring keeps the socket, and the same code runs
/// over either backend). Client side: SNI, certificate chain verification against the system CA
/// store (or a given CA file), and hostname verification.
///
/// Use: `feedCiphertext` what the socket received, `step()` to advance, send `takeCiphertext()`
/// to the socket, and once `isEstablished`, `writePlaintext`/`readPlaintext`.
public final class TLSSession {
    public enum State: Equatable, Sendable { case handshaking, established, failed(String), closed }

    public private(set) var state = State.handshaking
    let ctx: OpaquePointer
    let ssl: OpaquePointer
    let readBIO: OpaquePointer  // ciphertext from the network, for OpenSSL to read
    let writeBIO: OpaquePointer  // ciphertext OpenSSL produced, for the network

    /// - Parameters:
    ///   - hostname: sent as SNI and checked against the certificate.
    ///   - caFile: a PEM file of trusted CAs; nil uses the system store.
    public init(hostname: String, caFile: String? = nil) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw TLSError.openSSL("SSL_CTX_new") }
        self.ctx = ctx
        _ = shim_SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION)
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        let loaded = caFile.map { SSL_CTX_load_verify_locations(ctx, $0, nil) } ?? SSL_CTX_set_default_verify_paths(ctx)
        guard loaded == 1 else {
            SSL_CTX_free(ctx)
            throw TLSError.openSSL("loading trusted CAs")
        }
        guard let ssl = SSL_new(ctx), let r = BIO_new(BIO_s_mem()), let w = BIO_new(BIO_s_mem()) else {
            SSL_CTX_free(ctx)
            throw TLSError.openSSL("SSL_new/BIO_new")
        }
        self.ssl = ssl
        readBIO = r
        writeBIO = w
        SSL_set_bio(ssl, r, w)  // the SSL now owns both BIOs
        _ = hostname.withCString { shim_SSL_set_tlsext_host_name(ssl, $0) }
        _ = hostname.withCString { SSL_set1_host(ssl, $0) }
        SSL_set_connect_state(ssl)
    }

    deinit {
        SSL_free(ssl)
        SSL_CTX_free(ctx)
    }

    public var isEstablished: Bool { state == .established }

    /// Ciphertext received from the socket.
    public func feedCiphertext(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        _ = BIO_write(readBIO, bytes.baseAddress, Int32(bytes.count))
    }

    /// Advances the handshake; afterwards, check `takeCiphertext` for bytes to send.
    public func step() {
        guard state == .handshaking else { return }
        let rc = SSL_do_handshake(ssl)
        if rc == 1 {
            state = .established
            return
        }
        let error = SSL_get_error(ssl, rc)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        let verify = SSL_get_verify_result(ssl)
        let reason = verify != X509_V_OK
            ? "certificate verification failed: " + String(cString: X509_verify_cert_error_string(Int(verify)))
            : "handshake failed (SSL error \(error))"
        state = .failed(reason)
    }

    /// Ciphertext OpenSSL wants sent (handshake records, encrypted data, close_notify).
    public func takeCiphertext() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(writeBIO))
        guard pending > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: pending)
        let n = BIO_read(writeBIO, &out, Int32(pending))
        return n > 0 ? Array(out.prefix(Int(n))) : []
    }

    /// Encrypts application data (it then sits in `takeCiphertext`).
    public func writePlaintext(_ bytes: UnsafeRawBufferPointer) throws(TLSError) {
        guard state == .established else { throw TLSError.notEstablished }
        let n = SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
        guard n == Int32(bytes.count) else { throw TLSError.openSSL("SSL_write") }
    }

    /// Decrypted application data available now (possibly none).
    public func readPlaintext(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard state == .established else { return 0 }
        let n = SSL_read(ssl, buffer.baseAddress, Int32(buffer.count))
        if n > 0 { return Int(n) }
        if SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN { state = .closed }
        return 0
    }

    /// Starts a clean shutdown (close_notify goes to `takeCiphertext`).
    public func shutdown() {
        guard state == .established else { return }
        _ = SSL_shutdown(ssl)
        state = .closed
    }
}

public enum TLSError: Error, Equatable, Sendable {
    case openSSL(String)
    case notEstablished
}
