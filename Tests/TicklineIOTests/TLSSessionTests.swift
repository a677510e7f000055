import Foundation
import Glibc
import Testing
import TicklineIO

/// TLS over memory BIOs against a local TLS server whose CA the test generates (openssl CLI),
/// all on 127.0.0.1: a verified handshake and echo, then a wrong hostname and an untrusted CA.
@Suite(.serialized) struct TLSSessionTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Scripts")

    /// Makes a CA and a server certificate for localhost / 127.0.0.1 in a temporary directory.
    func makePKI() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tickline-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            .write(to: dir.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for args in [
            ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=Tickline Test CA"],
            ["req", "-x509"] + ec + ["-keyout", "other.key", "-out", "other-ca.pem", "-days", "1", "-subj", "/CN=Other CA"],
            ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
             "server.pem", "-days", "1", "-extfile", "ext.cnf"],
        ] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
            p.arguments = args
            p.currentDirectoryURL = dir
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            try #require(p.terminationStatus == 0, "openssl \(args.joined(separator: " "))")
        }
        return dir
    }

    func startServer(_ dir: URL) throws -> (Process, UInt16) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.scripts.appendingPathComponent("tls_echo_server.py").path,
                       dir.appendingPathComponent("server.pem").path, dir.appendingPathComponent("server.key").path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let port = try #require(UInt16(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        return (p, port)
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
        let dir = try makePKI()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try startServer(dir)
        defer { server.terminate() }
        let fd = try connect(port)
        defer { Posix.close(fd) }
        let tls = try TLSSession(hostname: "localhost", caFile: dir.appendingPathComponent("ca.pem").path)
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
        let dir = try makePKI()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (server, port) = try startServer(dir)
        defer { server.terminate() }
        let fd = try connect(port)
        defer { Posix.close(fd) }
        let tls = try TLSSession(hostname: hostname, caFile: dir.appendingPathComponent(caFile).path)
        try handshake(tls, fd)
        guard case .failed(let reason) = tls.state else { Issue.record("handshake did not fail: \(tls.state)"); return }
        #expect(reason.contains("certificate verification failed"))
    }
}
