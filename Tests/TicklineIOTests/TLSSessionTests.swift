import Foundation
import Glibc
import Testing
import TicklineIO
import TicklineTestSupport

/// TLS over memory BIOs against a local TLS server whose CA the test generates (openssl CLI),
/// all on 127.0.0.1: a verified handshake and echo, then a wrong hostname and an untrusted CA.
@Suite(.serialized) struct TLSSessionTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    func startServer(_ pki: TestPKI) throws -> PortPrintingProcess {
        try PortPrintingProcess(arguments: ["python3", Self.scripts.appendingPathComponent("tls_echo_server.py").path,
                                            pki.serverCertificate, pki.serverKey])
    }

    /// Runs the handshake over a real socket: send what TLS wants sent, feed what arrives.
    func handshake(_ tls: TLSSession, _ fd: Int32) throws {
        var buffer = [UInt8](repeating: 0, count: 16384)
        for _ in 0..<20_000 where tls.state == .handshaking {
            tls.step()
            let out = tls.takeCiphertext()
            if !out.isEmpty { _ = try out.withUnsafeBytes { try Posix.send(fd, $0) } }
            if tls.state != .handshaking { break }
            if case .processed(let n) = try buffer.withUnsafeMutableBytes({ try Posix.receive(fd, $0) }), n > 0 {
                buffer.withUnsafeBytes { tls.feedCiphertext(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            } else {
                usleep(500)
            }
        }
    }

    func connect(_ port: UInt16) throws -> Int32 {
        let address = try #require(try SocketAddress.resolve(host: "127.0.0.1", port: port).first)
        let fd = try Posix.tcpSocket(family: address.family)
        _ = try Posix.connect(fd, address)
        var outcome: Int32?
        for _ in 0..<2000 where outcome == nil {
            outcome = Posix.connectResult(fd)
            if outcome == nil { usleep(1000) }
        }
        try #require(outcome == 0)
        return fd
    }

    @Test func verifiedHandshakeAndEcho() throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try startServer(pki)
        let port = server.port
        let fd = try connect(port)
        defer { Posix.close(fd) }
        let tls = try TLSSession(hostname: "localhost", caFile: pki.caFile)
        try handshake(tls, fd)
        #expect(tls.state == .established)
        let message = Array("hello over tls".utf8)
        try message.withUnsafeBytes { try tls.writePlaintext($0) }
        _ = try tls.takeCiphertext().withUnsafeBytes { try Posix.send(fd, $0) }
        var echoed: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384), plain = [UInt8](repeating: 0, count: 16384)
        for _ in 0..<10_000 where echoed.count < message.count {
            if case .processed(let n) = try buffer.withUnsafeMutableBytes({ try Posix.receive(fd, $0) }), n > 0 {
                buffer.withUnsafeBytes { tls.feedCiphertext(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            } else {
                usleep(500)
            }
            let got = plain.withUnsafeMutableBytes { tls.readPlaintext(into: $0) }
            echoed += plain.prefix(got)
            let out = tls.takeCiphertext()  // e.g. TLS 1.3 session-ticket acknowledgements (none expected)
            if !out.isEmpty { _ = try out.withUnsafeBytes { try Posix.send(fd, $0) } }
        }
        #expect(echoed == message)
        tls.shutdown()
        #expect(!tls.takeCiphertext().isEmpty, "close_notify to send")
    }

    /// A name the certificate does not carry (SNI and the check use it; the connection still goes
    /// to 127.0.0.1), and a CA that did not sign the server's certificate.
    @Test(arguments: [("fapi.example.invalid", "ca.pem"), ("localhost", "other-ca.pem")])
    func verificationFailures(hostname: String, caFile: String) throws {
        let pki = try TestPKI()
        defer { pki.remove() }
        let server = try startServer(pki)
        let port = server.port
        let fd = try connect(port)
        defer { Posix.close(fd) }
        let tls = try TLSSession(hostname: hostname, caFile: pki.directory.appendingPathComponent(caFile).path)
        try handshake(tls, fd)
        guard case .failed(let reason) = tls.state else { Issue.record("handshake did not fail: \(tls.state)"); return }
        #expect(reason.contains("certificate verification failed"))
    }
}
