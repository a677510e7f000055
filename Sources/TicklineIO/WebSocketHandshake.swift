import COpenSSL

/// The client side of the RFC 6455 §4 opening handshake: builds the HTTP/1.1 Upgrade request
/// and validates the server's `101 Switching Protocols` response.
///
/// This runs once per connection, so it favours clarity over speed and allocates freely
/// (arrays for the request and the expected accept value). It does no I/O: the caller writes
/// ``requestBytes`` and feeds whatever it has read so far to ``parseResponse(_:)`` until that
/// stops answering `.needMoreData`.
///
/// ## Caveats
/// - The 16 key bytes are an input so that tests are deterministic; in production they must be
///   random (`getrandom(2)`), as §4.1 requires a fresh nonce per connection.
/// - No extensions or subprotocols are offered; a response selecting an extension is refused
///   (§4.1, step 6 of the client's validation).
public struct WebSocketHandshake: Sendable {
    /// The magic GUID of §1.3, appended to the key before hashing.
    public static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Outcome of feeding response bytes to ``parseResponse(_:)``.
    public enum Outcome: Equatable, Sendable {
        /// Handshake accepted; the header block used `headerBytes` bytes, and anything after
        /// them is already WebSocket frames for the codec.
        case upgraded(headerBytes: Int)
        /// The header block is not complete yet; call again with more bytes.
        case needMoreData
        /// The server refused, or answered something we must not accept.
        case failed(WebSocketError)
    }

    public let host: String
    public let path: String
    /// `Sec-WebSocket-Key`: base64 of the 16 nonce bytes (24 ASCII bytes).
    public let key: [UInt8]
    /// The `Sec-WebSocket-Accept` value the server must return (28 ASCII bytes).
    public let expectedAccept: [UInt8]
    /// The largest response header block accepted; a peer that never ends its headers is cut
    /// off here rather than growing our buffer without bound.
    public let maxHeaderBytes: Int

    /// - Parameters:
    ///   - host: value of the `Host` header (include `:port` when not the default).
    ///   - path: request target, e.g. `/ws/btcusdt@bookTicker`.
    ///   - nonce: exactly 16 bytes (a programmer error otherwise).
    public init(host: String, path: String, nonce: [UInt8], maxHeaderBytes: Int = 8192) {
        precondition(nonce.count == 16, "Sec-WebSocket-Key nonce must be 16 bytes (RFC 6455 4.1)")
        self.host = host
        self.path = path
        self.maxHeaderBytes = maxHeaderBytes
        self.key = Base64.encode(nonce)
        self.expectedAccept = Self.acceptValue(forKey: key)
    }

    /// base64(SHA-1(key ++ GUID)), per §4.2.2 item 5.
    public static func acceptValue(forKey key: [UInt8]) -> [UInt8] {
        let input = key + Array(acceptGUID.utf8)
        var digest = [UInt8](repeating: 0, count: 20)
        input.withUnsafeBufferPointer { src in
            digest.withUnsafeMutableBufferPointer { dst in
                _ = SHA1(src.baseAddress, src.count, dst.baseAddress)
            }
        }
        return Base64.encode(digest)
    }

    /// The complete request, ending with the blank line. `extraHeaders` are appended verbatim
    /// (name, value); they must not contain CR or LF.
    public func requestBytes(extraHeaders: [(name: String, value: String)] = []) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        func line(_ s: String) {
            out.append(contentsOf: s.utf8)
            out.append(contentsOf: [13, 10])
        }
        line("GET \(path) HTTP/1.1")
        line("Host: \(host)")
        line("Upgrade: websocket")
        line("Connection: Upgrade")
        out.append(contentsOf: "Sec-WebSocket-Key: ".utf8)
        out.append(contentsOf: key)
        out.append(contentsOf: [13, 10])
        line("Sec-WebSocket-Version: 13")
        for header in extraHeaders { line("\(header.name): \(header.value)") }
        out.append(contentsOf: [13, 10])
        return out
    }

    /// Validates the response in `bytes` (everything read so far, from its first byte).
    public func parseResponse(_ bytes: UnsafeRawBufferPointer) -> Outcome {
        guard let end = Self.headerEnd(bytes) else {
            return bytes.count > maxHeaderBytes ? .failed(.headerTooLarge) : .needMoreData
        }
        if end > maxHeaderBytes { return .failed(.headerTooLarge) }
        let header = UnsafeRawBufferPointer(rebasing: bytes[0..<end - 4])
        // Split into CRLF-delimited lines.
        var lines: [Range<Int>] = []
        var start = 0
        var i = 0
        while i < header.count {
            if header[i] == 13 && i + 1 < header.count && header[i + 1] == 10 {
                lines.append(start..<i)
                i += 2
                start = i
            } else {
                i += 1
            }
        }
        lines.append(start..<header.count)

        // Status line: HTTP/1.x SP 3DIGIT [SP reason]
        let status = Array(header[lines[0]])
        let prefix = Array("HTTP/1.".utf8)
        guard status.count >= 12, Array(status[0..<7]) == prefix, status[8] == 32,
            status[9...11].allSatisfy({ $0 >= 48 && $0 <= 57 })
        else { return .failed(.malformedResponse) }
        let code = status[9...11].reduce(0) { $0 * 10 + Int($1 - 48) }
        if code != 101 { return .failed(.handshakeRejected(status: code)) }

        var upgradeOK = false
        var connectionOK = false
        var acceptOK = false
        var sawAccept = false
        for range in lines.dropFirst() {
            let line = Array(header[range])
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
                return .failed(.malformedResponse)
            }
            let name = Self.lowercased(Self.trimmed(line[0..<colon]))
            let value = Self.trimmed(line[(colon + 1)...])
            switch name {
            case Array("upgrade".utf8):
                upgradeOK = Self.lowercased(value) == Array("websocket".utf8)
            case Array("connection".utf8):
                // A comma-separated token list, e.g. "keep-alive, Upgrade".
                connectionOK =
                    connectionOK
                    || Self.lowercased(value).split(separator: UInt8(ascii: ",")).contains {
                        Self.trimmed($0) == Array("upgrade".utf8)
                    }
            case Array("sec-websocket-accept".utf8):
                if sawAccept { return .failed(.badAccept) }
                sawAccept = true
                acceptOK = value == expectedAccept
            case Array("sec-websocket-extensions".utf8):
                return .failed(.unexpectedExtension)
            default:
                break
            }
        }
        if !upgradeOK { return .failed(.missingUpgrade) }
        if !connectionOK { return .failed(.missingConnectionUpgrade) }
        if !acceptOK { return .failed(.badAccept) }
        return .upgraded(headerBytes: end)
    }

    /// Offset just past the first CRLFCRLF, if any.
    static func headerEnd(_ bytes: UnsafeRawBufferPointer) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4)
        where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i + 4
        }
        return nil
    }

    static func trimmed(_ s: some Collection<UInt8>) -> [UInt8] {
        var a = Array(s)
        while let f = a.first, f == 32 || f == 9 { a.removeFirst() }
        while let l = a.last, l == 32 || l == 9 { a.removeLast() }
        return a
    }

    static func lowercased(_ s: [UInt8]) -> [UInt8] {
        s.map { $0 >= 65 && $0 <= 90 ? $0 + 32 : $0 }
    }
}
