import Testing
@testable import TicklineIO

@Suite struct WebSocketHandshakeTests {
    /// RFC 6455 §1.3 / §4.2.2: the nonce "the sample nonce" gives key "dGhlIHNhbXBsZSBub25jZQ=="
    /// and accept "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=".
    static let rfcNonce = Array("the sample nonce".utf8)
    static let rfcAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    static func handshake() -> WebSocketHandshake {
        WebSocketHandshake(host: "fstream.binance.com", path: "/ws/btcusdt@bookTicker", nonce: rfcNonce)
    }

    static func response(status: String = "101 Switching Protocols", headers: [String]) -> [UInt8] {
        Array(("HTTP/1.1 \(status)\r\n" + headers.map { $0 + "\r\n" }.joined() + "\r\n").utf8)
    }

    static let goodHeaders = ["Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: \(rfcAccept)"]

    func parse(_ h: WebSocketHandshake, _ bytes: [UInt8]) -> WebSocketHandshake.Outcome {
        bytes.withUnsafeBytes { h.parseResponse($0) }
    }

    @Test func base64MatchesRFC4648Vectors() {
        let vectors = ["": "", "f": "Zg==", "fo": "Zm8=", "foo": "Zm9v", "foob": "Zm9vYg==", "fooba": "Zm9vYmE=",
                       "foobar": "Zm9vYmFy"]
        for (input, expected) in vectors {
            #expect(String(decoding: Base64.encode(Array(input.utf8)), as: UTF8.self) == expected)
        }
        #expect(String(decoding: Base64.encode([0xFF, 0xEF, 0xBE]), as: UTF8.self) == "/+++")
    }

    @Test func rfcExampleKeyAndAccept() {
        let h = Self.handshake()
        #expect(String(decoding: h.key, as: UTF8.self) == "dGhlIHNhbXBsZSBub25jZQ==")
        #expect(String(decoding: h.expectedAccept, as: UTF8.self) == Self.rfcAccept)
    }

    @Test func requestHasRequiredHeaders() {
        let request = String(decoding: Self.handshake().requestBytes(extraHeaders: [("User-Agent", "tickline")]), as: UTF8.self)
        #expect(request.hasPrefix("GET /ws/btcusdt@bookTicker HTTP/1.1\r\n"))
        #expect(request.hasSuffix("\r\n\r\n"))
        for line in ["Host: fstream.binance.com", "Upgrade: websocket", "Connection: Upgrade",
                     "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13", "User-Agent: tickline"] {
            #expect(request.contains("\r\n" + line + "\r\n"), "missing \(line)")
        }
    }

    @Test func acceptsValidResponseCaseInsensitively() {
        let h = Self.handshake()
        let bytes = Self.response(headers: ["upgrade: WebSocket", "CONNECTION: keep-alive, upgrade",
                                            "sec-websocket-accept:   \(Self.rfcAccept)  ", "Server: test"])
        #expect(parse(h, bytes) == .upgraded(headerBytes: bytes.count))
    }

    @Test func rejectedStatus() {
        let h = Self.handshake()
        #expect(parse(h, Self.response(status: "403 Forbidden", headers: ["Content-Length: 0"])) == .failed(.handshakeRejected(status: 403)))
        #expect(parse(h, Self.response(status: "200 OK", headers: Self.goodHeaders)) == .failed(.handshakeRejected(status: 200)))
        #expect(parse(h, Array("garbage\r\n\r\n".utf8)) == .failed(.malformedResponse))
    }

    @Test func missingOrWrongAccept() {
        let h = Self.handshake()
        #expect(parse(h, Self.response(headers: ["Upgrade: websocket", "Connection: Upgrade"])) == .failed(.badAccept))
        #expect(parse(h, Self.response(headers: ["Upgrade: websocket", "Connection: Upgrade",
                                                 "Sec-WebSocket-Accept: dGhlIHNhbXBsZSBub25jZQ=="])) == .failed(.badAccept))
        // Case matters in base64.
        #expect(parse(h, Self.response(headers: ["Upgrade: websocket", "Connection: Upgrade",
                                                 "Sec-WebSocket-Accept: \(Self.rfcAccept.lowercased())"])) == .failed(.badAccept))
    }

    @Test func missingUpgradeOrConnectionOrUnexpectedExtension() {
        let h = Self.handshake()
        #expect(parse(h, Self.response(headers: ["Connection: Upgrade", "Sec-WebSocket-Accept: \(Self.rfcAccept)"])) == .failed(.missingUpgrade))
        #expect(parse(h, Self.response(headers: ["Upgrade: h2c", "Connection: Upgrade", "Sec-WebSocket-Accept: \(Self.rfcAccept)"])) == .failed(.missingUpgrade))
        #expect(parse(h, Self.response(headers: ["Upgrade: websocket", "Connection: keep-alive", "Sec-WebSocket-Accept: \(Self.rfcAccept)"])) == .failed(.missingConnectionUpgrade))
        #expect(parse(h, Self.response(headers: Self.goodHeaders + ["Sec-WebSocket-Extensions: permessage-deflate"])) == .failed(.unexpectedExtension))
    }

    @Test func responseSplitAcrossReads() {
        let h = Self.handshake()
        let bytes = Self.response(headers: Self.goodHeaders)
        for cut in 0..<bytes.count {
            #expect(parse(h, Array(bytes[0..<cut])) == .needMoreData, "cut \(cut)")
        }
        #expect(parse(h, bytes) == .upgraded(headerBytes: bytes.count))
    }

    @Test func bytesAfterHeaderAreLeftForTheDecoder() {
        let h = Self.handshake()
        let header = Self.response(headers: Self.goodHeaders)
        let frames = serverFrame(0x1, Array("Hello".utf8)) + serverFrame(0x2, [1, 2, 3])
        let all = header + frames
        guard case .upgraded(let consumed) = parse(h, all) else {
            Issue.record("handshake failed")
            return
        }
        #expect(consumed == header.count)
        let codec = WebSocketFrameCodec(maskSeed: 1)
        #expect(codec.drain(feeding: Array(all[consumed...])) == [.text("Hello"), .message(.binary, [1, 2, 3])])
    }

    @Test func headerTooLarge() {
        let h = WebSocketHandshake(host: "h", path: "/", nonce: Self.rfcNonce, maxHeaderBytes: 1024)
        let endless = Array("HTTP/1.1 101 Switching Protocols\r\nX: ".utf8) + [UInt8](repeating: 0x61, count: 2000)
        #expect(parse(h, endless) == .failed(.headerTooLarge))
        let long = Self.response(headers: Self.goodHeaders + ["X-Padding: " + String(repeating: "a", count: 2000)])
        #expect(parse(h, long) == .failed(.headerTooLarge))
    }
}
