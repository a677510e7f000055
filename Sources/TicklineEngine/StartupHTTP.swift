import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// A blocking HTTP/1.1 GET for start-up only (exchange info, candle warm-up): one connection per
/// request, `Connection: close`, body read to the end. The trading path never uses it; the
/// keep-alive client on the io_uring loop replaces it for backfill and orders.
public enum StartupHTTP {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func get(_ address: SocketAddress, host: String, path: String, timeoutMs: Int32 = 5000)
        throws -> (status: Int, body: [UInt8])
    {
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        if try Posix.connect(fd, address) == .wouldBlock {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            guard poll(&p, 1, timeoutMs) == 1, Posix.connectResult(fd) == 0 else {
                throw Failure(description: "connect to \(host) failed or timed out")
            }
        }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nAccept: application/json\r\nConnection: close\r\n\r\n".utf8)
        var sent = 0
        while sent < request.count {
            let r = try request.withUnsafeBytes { try Posix.send(fd, UnsafeRawBufferPointer(rebasing: $0[sent...])) }
            if case .processed(let n) = r { sent += n } else { try wait(fd, POLLOUT, timeoutMs) }
        }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let r = try chunk.withUnsafeMutableBytes { try Posix.receive(fd, $0) }
            switch r {
            case .processed(0):
                return try split(response, host: host, path: path)
            case .processed(let n):
                response += chunk[0..<n]
            case .wouldBlock:
                try wait(fd, POLLIN, timeoutMs)
            }
        }
    }

    static func wait(_ fd: Int32, _ events: Int32, _ timeoutMs: Int32) throws {
        var p = pollfd(fd: fd, events: Int16(events), revents: 0)
        guard poll(&p, 1, timeoutMs) == 1 else { throw Failure(description: "timed out") }
    }

    static func split(_ response: [UInt8], host: String, path: String) throws -> (status: Int, body: [UInt8]) {
        guard let end = (0..<max(0, response.count - 3)).first(where: {
            response[$0] == 13 && response[$0 + 1] == 10 && response[$0 + 2] == 13 && response[$0 + 3] == 10
        }) else { throw Failure(description: "GET \(host)\(path): no HTTP header in the response") }
        let head = String(decoding: response[0..<end], as: UTF8.self)
        let parts = head.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw Failure(description: "GET \(host)\(path): bad status line")
        }
        return (status, Array(response[(end + 4)...]))
    }
}
