import Glibc
import Testing
import TicklineIO

/// The non-blocking socket wrappers against a loopback listener the test opens itself.
@Suite struct PosixTests {
    @Test func connectSendReceiveAndEndOfStream() throws {
        let (server, _, address) = try loopbackListener()
        defer { close(server) }
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        _ = try Posix.connect(fd, address)
        let peer = accept(server, nil, nil)
        try #require(peer >= 0)
        var outcome: Int32?
        for _ in 0..<1000 where outcome == nil {
            outcome = Posix.connectResult(fd)
            if outcome == nil { usleep(1000) }
        }
        #expect(outcome == 0)

        // Nothing to read yet: would block, not an error.
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(try buffer.withUnsafeMutableBytes { try Posix.receive(fd, $0) } == .wouldBlock)

        let hello = Array("hello".utf8)
        #expect(try hello.withUnsafeBytes { try Posix.send(fd, $0) } == .processed(5))
        var got = [UInt8](repeating: 0, count: 16)
        #expect(read(peer, &got, 16) == 5)
        #expect(Array(got.prefix(5)) == hello)

        _ = write(peer, "pong", 4)
        var result = IOResult.wouldBlock
        for _ in 0..<1000 {
            result = try buffer.withUnsafeMutableBytes { try Posix.receive(fd, $0) }
            if result != .wouldBlock { break }
            usleep(1000)
        }
        #expect(result == .processed(4) && String(decoding: buffer.prefix(4), as: UTF8.self) == "pong")

        close(peer)  // the peer closes: end of stream is .processed(0)
        for _ in 0..<1000 {
            result = try buffer.withUnsafeMutableBytes { try Posix.receive(fd, $0) }
            if result != .wouldBlock { break }
            usleep(1000)
        }
        #expect(result == .processed(0))
    }

    @Test func refusedConnectionIsAnError() throws {
        let (server, _, address) = try loopbackListener()
        close(server)  // nobody listens on that port any more
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        var failed = false
        do {
            if try Posix.connect(fd, address) == .wouldBlock {
                // SO_ERROR is cleared when read: keep the first answer.
                var outcome: Int32?
                for _ in 0..<1000 where outcome == nil {
                    outcome = Posix.connectResult(fd)
                    if outcome == nil { usleep(1000) }
                }
                failed = outcome == ECONNREFUSED
            }
        } catch {
            failed = error.errno == ECONNREFUSED
        }
        #expect(failed)
    }

    /// Only names /etc/hosts answers: a test must not send a DNS query off the machine.
    @Test func resolveLocalhost() throws {
        let addresses = try SocketAddress.resolve(host: "localhost", port: 80)
        #expect(!addresses.isEmpty && addresses[0].port == 80)
        #expect(try SocketAddress.resolve(host: "127.0.0.1", port: 9).first?.family == AF_INET)
    }
}
