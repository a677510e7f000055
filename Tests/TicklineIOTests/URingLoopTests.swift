import Glibc
import Testing
import TicklineIO
import TicklineTestSupport

/// The io_uring loop against loopback peers the tests run themselves (blocking sockets on a
/// plain thread): connect, multishot receive from the buffer ring, send, end of stream, timeouts.
@Suite struct URingLoopTests {
    /// Polls (bounded: 5 s) until `done` holds.
    func spin(_ loop: URingLoop, until done: () -> Bool, _ handler: (URingCompletion, UnsafeRawBufferPointer?) -> Void) {
        for _ in 0..<5_000_000 {
            _ = loop.poll(handler)
            if done() { return }
        }
    }

    @Test func connectEchoAndEndOfStream() throws {
        let (server, _, address) = try loopbackListener()
        defer { close(server) }
        // The peer: accept, echo 3 messages, then close.
        let peer = try TestThread {
            let c = accept(server, nil, nil)
            var buf = [UInt8](repeating: 0, count: 4096)
            var echoed = 0
            while echoed < 3 {
                let n = read(c, &buf, buf.count)
                if n <= 0 { break }
                _ = write(c, buf, n)
                echoed += 1
            }
            close(c)
        }
        let loop = try URingLoop(bufferCount: 8, bufferSize: 1024)
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        var connected: Int32?
        #expect(loop.connect(fd: fd, to: address, token: 7, timeoutNs: 2_000_000_000))
        spin(loop, until: { connected != nil }) { c, _ in if c.operation == .connect { connected = c.result } }
        #expect(connected == 0)
        #expect(loop.receive(fd: fd, token: 7))
        var received: [UInt8] = []
        var endOfStream = false
        let messages = ["one", "two", "three"].map { Array($0.utf8) }
        for m in messages {
            let before = received.count
            m.withUnsafeBytes { bytes in
                #expect(loop.send(fd: fd, bytes, token: 7))
                var sent: Int32?
                spin(loop, until: { sent != nil && received.count >= before + m.count }) { c, data in
                    if c.operation == .send { sent = c.result }
                    if c.operation == .receive, let data, c.result > 0 { received += data }
                    if c.operation == .receive, c.result == 0 { endOfStream = true }  // may come with the last echo
                }
                #expect(sent == Int32(m.count))
            }
        }
        #expect(String(decoding: received, as: UTF8.self) == "onetwothree")
        spin(loop, until: { endOfStream }) { c, _ in
            if c.operation == .receive && c.result == 0 { endOfStream = true }
        }
        #expect(endOfStream)
        peer.join()
        #expect(loop.completions >= 7)
    }

    @Test func refusedConnectReportsErrno() throws {
        let (server, _, address) = try loopbackListener()
        close(server)
        let loop = try URingLoop()
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        var result: Int32?
        loop.connect(fd: fd, to: address, token: 1)
        spin(loop, until: { result != nil }) { c, _ in if c.operation == .connect { result = c.result } }
        #expect(result == -ECONNREFUSED)
    }

    /// A receive with a 50 ms linked timeout on a connection that stays silent: the receive is
    /// cancelled (-ECANCELED) and the timeout fires (-ETIME).
    @Test func linkedTimeoutCancelsASilentReceive() throws {
        let (server, _, address) = try loopbackListener()
        defer { close(server) }
        let loop = try URingLoop()
        let fd = try Posix.tcpSocket(family: address.family)
        defer { Posix.close(fd) }
        var connected: Int32?
        loop.connect(fd: fd, to: address, token: 2)
        spin(loop, until: { connected != nil }) { c, _ in if c.operation == .connect { connected = c.result } }
        let peer = accept(server, nil, nil)
        defer { close(peer) }
        var receive: Int32?, timeout: Int32?
        loop.receiveOnce(fd: fd, token: 2, timeoutNs: 50_000_000)
        spin(loop, until: { receive != nil && timeout != nil }) { c, _ in
            if c.operation == .receive { receive = c.result }
            if c.operation == .timeout { timeout = c.result }
        }
        #expect(receive == -ECANCELED)
        #expect(timeout == -ETIME)
    }
}
