import Glibc
import Testing
import TicklineIO

/// A listening TCP socket on 127.0.0.1 with an ephemeral port, for tests that need a peer.
func loopbackListener() throws -> (fd: Int32, port: UInt16, address: SocketAddress) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    try #require(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } } == 0)
    try #require(listen(fd, 4) == 0)
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    let port = UInt16(bigEndian: addr.sin_port)
    let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
    return (fd, port, address)
}
