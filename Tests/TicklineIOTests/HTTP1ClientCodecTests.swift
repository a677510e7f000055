import Testing
import TicklineIO

/// HTTP/1.1 response framing without sockets: lengths, chunks, pipelining, every split point,
/// and malformed input as error values.
@Suite struct HTTP1ClientCodecTests {
    func feedAll(_ codec: inout HTTP1ClientCodec, _ text: String) {
        let bytes = Array(text.utf8)
        bytes.withUnsafeBytes { codec.feed($0) }
    }

    /// Collects every response the buffered bytes hold.
    func drain(_ codec: inout HTTP1ClientCodec) -> (responses: [(HTTP1ClientCodec.Response, String)], last: HTTP1ClientCodec.Outcome) {
        var out: [(HTTP1ClientCodec.Response, String)] = []
        while true {
            var got: (HTTP1ClientCodec.Response, String)?
            let outcome = codec.poll { r, body in got = (r, String(decoding: body, as: UTF8.self)) }
            if let got { out.append(got) }
            if outcome != .delivered { return (out, outcome) }
        }
    }

    @Test func requestEncoding() {
        let r = HTTP1ClientCodec.request(method: "POST", path: "/fapi/v1/order", host: "127.0.0.1:8090",
                                         headers: [("X-MBX-APIKEY", "demo-key")], body: Array("a=1".utf8))
        #expect(String(decoding: r, as: UTF8.self)
                == "POST /fapi/v1/order HTTP/1.1\r\nHost: 127.0.0.1:8090\r\nX-MBX-APIKEY: demo-key\r\nContent-Length: 3\r\n\r\na=1")
        let g = HTTP1ClientCodec.request(method: "GET", path: "/fapi/v1/time", host: "h")
        #expect(String(decoding: g, as: UTF8.self) == "GET /fapi/v1/time HTTP/1.1\r\nHost: h\r\n\r\n")
    }

    @Test func contentLengthAndPipelinedResponses() {
        var codec = HTTP1ClientCodec()
        feedAll(&codec, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-MBX-USED-WEIGHT-1m: 3\r\nContent-Length: 2\r\n\r\n{}"
                + "HTTP/1.1 400 Bad Request\r\nContent-Length: 38\r\nConnection: close\r\n\r\n{\"code\":-1121,\"msg\":\"Invalid symbol.\"}")
        let (responses, last) = drain(&codec)
        #expect(last == .needMoreData)
        #expect(responses.count == 2)
        #expect(responses[0].0.status == 200 && responses[0].1 == "{}" && responses[0].0.keepAlive)
        #expect(responses[0].0.header("x-mbx-used-weight-1m") == "3")
        #expect(responses[1].0.status == 400 && !responses[1].0.keepAlive)
        #expect(responses[1].1 == "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}")
    }

    /// A chunked response fed one byte at a time: nothing before the end, then the whole body.
    @Test func chunkedBodyAtEverySplitPoint() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n"
        var codec = HTTP1ClientCodec()
        var delivered: [String] = []
        for (i, byte) in text.utf8.enumerated() {
            [byte].withUnsafeBytes { codec.feed($0) }
            let outcome = codec.poll { _, body in delivered.append(String(decoding: body, as: UTF8.self)) }
            if i < text.utf8.count - 1 { #expect(outcome == .needMoreData, "byte \(i)") } else { #expect(outcome == .delivered) }
        }
        #expect(delivered == ["hello, world"])
    }

    @Test(arguments: [
        ("HTTP/2 200\r\n\r\n", HTTP1ClientCodec.ParseError.malformedStatusLine),
        ("HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", .malformedStatusLine),
        ("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", .malformedHeader),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", .malformedChunk),
        ("HTTP/1.1 200 OK\r\nContent-Length: 99999999\r\n\r\n", .bodyTooLarge),
    ])
    func malformedResponses(_ text: String, _ expected: HTTP1ClientCodec.ParseError) {
        var codec = HTTP1ClientCodec(maxHeaderBytes: 1024, maxBodyBytes: 1 << 20)
        feedAll(&codec, text)
        #expect(codec.poll { _, _ in } == .error(expected))
    }

    @Test func headerTooLarge() {
        var codec = HTTP1ClientCodec(maxHeaderBytes: 64)
        feedAll(&codec, "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Pad: 0123456789\r\n", count: 10))
        #expect(codec.poll { _, _ in } == .error(.headerTooLarge))
    }
}
