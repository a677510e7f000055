/// HTTP/1.1 client framing over byte buffers, for REST over the I/O loop (history, backfill,
/// orders): request encoding, and incremental response parsing with `Content-Length` or
/// `chunked` bodies, keep-alive aware. No sockets, no Foundation; the body is delivered as a
/// view of the codec's buffer, valid until the next call.
public struct HTTP1ClientCodec {
    public enum ParseError: Error, Equatable, Sendable {
        case malformedStatusLine
        case malformedHeader
        case malformedChunk
        case headerTooLarge
        case bodyTooLarge
    }

    public struct Response: Equatable, Sendable {
        public var status: Int
        /// Header names lower-cased, in order received.
        public var headers: [(name: String, value: String)]
        /// The connection may be reused (HTTP/1.1 without `Connection: close`).
        public var keepAlive: Bool

        public static func == (a: Response, b: Response) -> Bool {
            a.status == b.status && a.keepAlive == b.keepAlive && a.headers.elementsEqual(b.headers) { $0 == $1 }
        }

        public func header(_ name: String) -> String? {
            let lower = name.lowercased()
            return headers.first { $0.name == lower }?.value
        }
    }

    public enum Outcome: Equatable, Sendable {
        case needMoreData
        /// A complete response was handed to the closure.
        case delivered
        case error(ParseError)
    }

    public let maxHeaderBytes: Int
    public let maxBodyBytes: Int
    var input: [UInt8] = []
    var body: [UInt8] = []
    var consumed = 0

    public init(maxHeaderBytes: Int = 16 << 10, maxBodyBytes: Int = 64 << 20) {
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
        input.reserveCapacity(64 << 10)
        body.reserveCapacity(64 << 10)
    }

    /// A request's bytes. `headers` are added after Host; a body gets its Content-Length.
    public static func request(method: String, path: String, host: String, headers: [(String, String)] = [],
                               body: [UInt8] = []) -> [UInt8] {
        var bytes: [UInt8] = []
        appendRequest(into: &bytes, method: method, path: path, host: host, headers: headers, body: body)
        return bytes
    }

    /// Appends the request to `bytes` without building any `String` (so, into a buffer with room,
    /// without allocating): the request line, `Host`, `headers`, `Content-Length` when there is a
    /// body (or for POST and PUT), then the body.
    public static func appendRequest(into bytes: inout [UInt8], method: String, path: String, host: String,
                                     headers: [(String, String)] = [], body: [UInt8] = []) {
        bytes.append(contentsOf: method.utf8)
        bytes.append(0x20)
        bytes.append(contentsOf: path.utf8)
        append(&bytes, " HTTP/1.1\r\nHost: ")
        bytes.append(contentsOf: host.utf8)
        append(&bytes, "\r\n")
        for (name, value) in headers {
            bytes.append(contentsOf: name.utf8)
            append(&bytes, ": ")
            bytes.append(contentsOf: value.utf8)
            append(&bytes, "\r\n")
        }
        if !body.isEmpty || method == "POST" || method == "PUT" {
            append(&bytes, "Content-Length: ")
            var digits: (UInt64, UInt64) = (0, 0)  // up to 16 decimal digits
            var n = 0
            var v = body.count
            withUnsafeMutableBytes(of: &digits) { d in
                repeat {
                    d[n] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
                    n += 1
                    v /= 10
                } while v > 0 && n < 16
            }
            withUnsafeBytes(of: digits) { d in for k in stride(from: n - 1, through: 0, by: -1) { bytes.append(d[k]) } }
            append(&bytes, "\r\n")
        }
        append(&bytes, "\r\n")
        bytes.append(contentsOf: body)
    }

    @inline(__always)
    static func append(_ bytes: inout [UInt8], _ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Bytes received from the connection.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        if consumed > 0 {
            input.removeFirst(consumed)
            consumed = 0
        }
        input.append(contentsOf: bytes)
    }

    /// Hands the next complete response, if the buffered bytes hold one, to `handle` (the body
    /// view is valid only during the call).
    public mutating func poll(_ handle: (Response, UnsafeRawBufferPointer) -> Void) -> Outcome {
        if consumed > 0 {
            input.removeFirst(consumed)
            consumed = 0
        }
        guard let headerEnd = findHeaderEnd() else {
            return input.count > maxHeaderBytes ? .error(.headerTooLarge) : .needMoreData
        }
        let headText = String(decoding: input[0..<headerEnd], as: UTF8.self)
        var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return .error(.malformedStatusLine) }
        let statusLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let status = Int(statusLine[1]),
              (100...999).contains(status) else { return .error(.malformedStatusLine) }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { return .error(.malformedHeader) }
            headers.append((line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters()))
        }
        var response = Response(status: status, headers: headers,
                                keepAlive: statusLine[0] == "HTTP/1.1" && !Self.asksToClose(headers))
        let bodyStart = headerEnd + 4
        if response.header("transfer-encoding")?.lowercased().contains("chunked") == true {
            body.removeAll(keepingCapacity: true)
            var i = bodyStart
            while true {
                guard let lineEnd = find(crlfFrom: i) else { return .needMoreData }
                let sizeText = String(decoding: input[i..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(), radix: 16), size >= 0 else {
                    return .error(.malformedChunk)
                }
                let dataStart = lineEnd + 2
                if size == 0 {
                    // Trailers (ignored) end with an empty line.
                    var j = dataStart
                    while true {
                        guard let e = find(crlfFrom: j) else { return .needMoreData }
                        if e == j {
                            consumed = e + 2
                            body.withUnsafeBytes { handle(response, $0) }
                            return .delivered
                        }
                        j = e + 2
                    }
                }
                guard body.count + size <= maxBodyBytes else { return .error(.bodyTooLarge) }
                guard input.count >= dataStart + size + 2 else { return .needMoreData }
                guard input[dataStart + size] == 13, input[dataStart + size + 1] == 10 else { return .error(.malformedChunk) }
                body.append(contentsOf: input[dataStart..<(dataStart + size)])
                i = dataStart + size + 2
            }
        }
        let length: Int
        if let text = response.header("content-length") {
            guard let n = Int(text), n >= 0 else { return .error(.malformedHeader) }
            length = n
        } else if status == 204 || status == 304 || status < 200 {
            length = 0
        } else {
            // No length: the body runs to connection close; this codec keeps connections alive, so refuse.
            response.keepAlive = false
            return .error(.malformedHeader)
        }
        guard length <= maxBodyBytes else { return .error(.bodyTooLarge) }
        guard input.count >= bodyStart + length else { return .needMoreData }
        body.removeAll(keepingCapacity: true)
        body.append(contentsOf: input[bodyStart..<(bodyStart + length)])
        consumed = bodyStart + length
        body.withUnsafeBytes { handle(response, $0) }
        return .delivered
    }

    func findHeaderEnd() -> Int? {
        guard input.count >= 4 else { return nil }
        for i in 0...(input.count - 4) where input[i] == 13 && input[i + 1] == 10 && input[i + 2] == 13 && input[i + 3] == 10 {
            return i
        }
        return nil
    }

    func find(crlfFrom start: Int) -> Int? {
        var i = start
        while i + 1 < input.count {
            if input[i] == 13 && input[i + 1] == 10 { return i }
            i += 1
        }
        return nil
    }

    static func asksToClose(_ headers: [(name: String, value: String)]) -> Bool {
        headers.contains { $0.name == "connection" && $0.value.lowercased().contains("close") }
    }
}

extension Substring {
    func trimmingCharacters() -> String {
        var s = self
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
