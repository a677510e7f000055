// Load client for the simulator's benchmark: signed REST orders per second over keep-alive
// connections (each request signed here, as a real client must: wrk cannot), and WebSocket
// messages per second to one client. Plain blocking sockets on loopback, one thread per
// connection, so the client is not the bottleneck it would be in Python.
//
//   SimLoad rest HOST PORT SECONDS CONNECTIONS
//   SimLoad ws HOST PORT MESSAGES
import CCrypto
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

func connectTCP(_ host: String, _ port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = port.bigEndian
    inet_pton(AF_INET, host, &addr.sin_addr)
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    precondition(rc == 0, "connect failed: errno \(errno)")
    return fd
}

func sendAll(_ fd: Int32, _ text: String) {
    var bytes = Array(text.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        precondition(n > 0, "write failed")
        off += n
    }
}

func hmacHex(_ key: String, _ message: String) -> String {
    var out = [UInt8](repeating: 0, count: 32)
    var len: UInt32 = 0
    let k = Array(key.utf8), m = Array(message.utf8)
    _ = HMAC(EVP_sha256(), k, Int32(k.count), m, m.count, &out, &len)
    return out.map { String(format: "%02x", $0) }.joined()
}

/// Reads one HTTP response (Content-Length bodies); returns the status code.
final class ResponseReader {
    var buffer = [UInt8]()
    let fd: Int32
    init(fd: Int32) { self.fd = fd }

    func fill() {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let n = read(fd, &chunk, chunk.count)
        precondition(n > 0, "connection closed")
        buffer += chunk[0..<n]
    }

    func next() -> Int {
        while true {
            if let end = headerEnd() {
                let head = String(decoding: buffer[0..<end], as: UTF8.self)
                let status = Int(head.split(separator: " ")[1]) ?? 0
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                while buffer.count < end + 4 + length { fill() }
                buffer.removeFirst(end + 4 + length)
                return status
            }
            fill()
        }
    }

    func headerEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4) where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}

func serverTime(_ host: String, _ port: UInt16) -> Int64 {
    let fd = connectTCP(host, port)
    defer { close(fd) }
    sendAll(fd, "GET /fapi/v1/time HTTP/1.1\r\nHost: \(host)\r\n\r\n")
    let r = ResponseReader(fd: fd)
    while r.headerEnd() == nil { r.fill() }
    var body = String(decoding: r.buffer, as: UTF8.self)
    while !body.contains("}") { r.fill(); body = String(decoding: r.buffer, as: UTF8.self) }
    let digits = body.split(separator: ":").last!.filter(\.isNumber)
    return Int64(digits)!
}

func restLoad(host: String, port: UInt16, seconds: Double, connections: Int) {
    let ok = Atomic<Int>(0), other = Atomic<Int>(0)
    let offset = serverTime(host, port) - Int64(Date().timeIntervalSince1970 * 1000)
    let deadline = Date().addingTimeInterval(seconds)
    var threads: [Thread] = []
    let start = Date()
    for c in 0..<connections {
        let t = Thread {
            let fd = connectTCP(host, port)
            let reader = ResponseReader(fd: fd)
            var i = 0
            while Date() < deadline {
                let side = (i + c) % 2 == 0 ? "BUY" : "SELL"
                let ts = Int64(Date().timeIntervalSince1970 * 1000) + offset
                let query = "symbol=BTCUSDT&side=\(side)&type=MARKET&quantity=0.003&newClientOrderId=load-\(c)-\(i)&timestamp=\(ts)"
                let body = query + "&signature=" + hmacHex("demo-secret", query)
                sendAll(fd, "POST /fapi/v1/order HTTP/1.1\r\nHost: \(host)\r\nX-MBX-APIKEY: demo-key\r\n"
                        + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
                if reader.next() == 200 { ok.add(1, ordering: .relaxed) } else { other.add(1, ordering: .relaxed) }
                i += 1
            }
            close(fd)
        }
        threads.append(t)
        t.start()
    }
    while threads.contains(where: { !$0.isFinished }) { usleep(10_000) }
    let elapsed = Date().timeIntervalSince(start)
    let n = ok.load(ordering: .relaxed)
    print(String(format: "{\"signed_orders_per_s\":%.0f,\"ok\":%d,\"non_200\":%d,\"seconds\":%.2f,\"connections\":%d}",
                 Double(n) / elapsed, n, other.load(ordering: .relaxed), elapsed, connections))
}

func wsLoad(host: String, port: UInt16, messages: Int) {
    let fd = connectTCP(host, port)
    sendAll(fd, "GET /market/ws/btcusdt@aggTrade HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    let reader = ResponseReader(fd: fd)
    while reader.headerEnd() == nil { reader.fill() }
    let end = reader.headerEnd()!
    precondition(String(decoding: reader.buffer[0..<end], as: UTF8.self).contains(" 101 "), "no upgrade")
    reader.buffer.removeFirst(end + 4)
    // Ask the simulator to push `messages` aggTrade messages as fast as it can.
    let trigger = connectTCP(host, port)
    sendAll(trigger, "POST /sim/flood?stream=btcusdt@aggTrade&count=\(messages) HTTP/1.1\r\nHost: \(host)\r\nContent-Length: 0\r\n\r\n")
    var received = 0, bytes = 0
    var first: Date?
    while received < messages {
        // Frame: FIN/opcode, length (server frames are unmasked).
        while reader.buffer.count < 2 { reader.fill() }
        var length = Int(reader.buffer[1] & 0x7F), header = 2
        if length == 126 {
            while reader.buffer.count < 4 { reader.fill() }
            length = Int(reader.buffer[2]) << 8 | Int(reader.buffer[3]); header = 4
        } else if length == 127 {
            while reader.buffer.count < 10 { reader.fill() }
            length = (2..<10).reduce(0) { $0 << 8 | Int(reader.buffer[$1]) }; header = 10
        }
        while reader.buffer.count < header + length { reader.fill() }
        if reader.buffer[0] & 0x0F == 1 {
            if first == nil { first = Date() }
            received += 1
            bytes += length
        }
        reader.buffer.removeFirst(header + length)
    }
    let elapsed = Date().timeIntervalSince(first!)
    print(String(format: "{\"ws_messages_per_s\":%.0f,\"messages\":%d,\"bytes\":%d,\"seconds\":%.3f}",
                 Double(received) / elapsed, received, bytes, elapsed))
    close(fd)
    close(trigger)
}

let args = CommandLine.arguments
guard args.count >= 5 else {
    print("usage: SimLoad rest HOST PORT SECONDS CONNECTIONS | SimLoad ws HOST PORT MESSAGES")
    exit(2)
}
switch args[1] {
case "rest": restLoad(host: args[2], port: UInt16(args[3])!, seconds: Double(args[4])!, connections: Int(args.count > 5 ? args[5] : "4")!)
case "ws": wsLoad(host: args[2], port: UInt16(args[3])!, messages: Int(args[4])!)
default: print("unknown mode \(args[1])"); exit(2)
}
