import Foundation
import Testing
import TicklineTestSupport
@testable import TicklineIO

#if canImport(Glibc)
import Glibc
#endif

/// Interoperability with a third-party implementation: python `websockets` 17.4 running
/// `Scripts/ws_echo_server.py`, reached over a plain blocking TCP socket (test-only code; the
/// engine will drive the codec from io_uring).
@Suite struct WebSocketInteropTests {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let venvHint =
        "Tests/clients/venvs.sh ccxt (run in \(repoRoot.path); make test does it)"

    /// The first venv python that exists: our own, else the one the ccxt clients pin 17.4 in.
    static func python() -> URL? {
        for venv in [".build/venv-ws", ".build/venv-ccxt"] {
            let url = repoRoot.appendingPathComponent(venv).appendingPathComponent("bin/python")
            if FileManager.default.isExecutableFile(atPath: url.path) { return url }
        }
        return nil
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// A blocking IPv4 TCP client with a receive timeout, so a broken peer fails the test
    /// instead of hanging it.
    final class BlockingSocket {
        let fd: Int32

        init(port: UInt16) throws {
            fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
            var timeout = timeval(tv_sec: 10, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
            let rc = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard rc == 0 else {
                Glibc.close(fd)
                throw Failure(description: "connect: errno \(errno)")
            }
        }

        deinit { Glibc.close(fd) }

        func sendAll(_ bytes: UnsafeRawBufferPointer) throws {
            var sent = 0
            while sent < bytes.count {
                let n = Glibc.send(fd, bytes.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL))
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw Failure(description: "send: errno \(errno)") }
                sent += n
            }
        }

        /// recv(2); 0 at EOF, negative on error or timeout.
        func receive(into buffer: UnsafeMutableRawBufferPointer) -> Int {
            while true {
                let n = recv(fd, buffer.baseAddress, buffer.count, 0)
                if n < 0 && errno == EINTR { continue }
                return n
            }
        }
    }

    /// The echo server process, stopped on deinit.
    final class EchoServer {
        let process = Process()
        let port: UInt16

        init(python: URL) throws {
            let script = WebSocketInteropTests.repoRoot
                .appendingPathComponent("Tests/TicklineIOTests/Scripts/ws_echo_server.py")
            process.executableURL = python
            process.arguments = [script.path]
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let text = readFirstLine(out.fileHandleForReading.fileDescriptor)
            guard let port = UInt16(text.trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                process.waitUntilExit()
                let stderr = String(data: (try? err.fileHandleForReading.readToEnd()) ?? Data(), encoding: .utf8) ?? ""
                throw Failure(description: "echo server did not print its port; stderr: \(stderr)\nIf websockets is missing: \(WebSocketInteropTests.venvHint)")
            }
            self.port = port
        }

        deinit {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }
    }

    /// Handshake + codec over one socket.
    final class Client {
        let socket: BlockingSocket
        let codec = WebSocketFrameCodec(maxMessageBytes: 4 << 20, maskSeed: 0x5EED, initialInputCapacity: 4096)

        init(port: UInt16) throws {
            socket = try BlockingSocket(port: port)
            let handshake = WebSocketHandshake(host: "127.0.0.1:\(port)", path: "/", nonce: (0..<16).map { UInt8($0 * 11) })
            try handshake.requestBytes(extraHeaders: [("User-Agent", "TicklineIOTests")]).withUnsafeBytes { try socket.sendAll($0) }
            var response: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 512)  // small, so the header usually spans reads
            while true {
                let n = chunk.withUnsafeMutableBytes { socket.receive(into: $0) }
                guard n > 0 else { throw Failure(description: "handshake: connection ended (\(n))") }
                response += chunk[0..<n]
                switch response.withUnsafeBytes({ handshake.parseResponse($0) }) {
                case .needMoreData: continue
                case .failed(let error): throw Failure(description: "handshake failed: \(error)")
                case .upgraded(let headerBytes):
                    Array(response[headerBytes...]).withUnsafeBytes { codec.feed($0) }
                    return
                }
            }
        }

        func flush() throws {
            try socket.sendAll(codec.pendingOutput)
            codec.consumeOutput(codec.pendingOutput.count)
        }

        func send(_ opcode: WebSocketOpcode, _ bytes: [UInt8], fin: Bool = true) throws {
            try codec.send(opcode, bytes: bytes, fin: fin)
            try flush()
        }

        /// The next event, reading from the socket as needed; queued pongs are flushed.
        func next() throws -> CopiedEvent {
            while true {
                let event = CopiedEvent(codec.poll())
                try flush()
                if let event { return event }
                let n = codec.withUnsafeInputSpace(minimumCount: 4096) { socket.receive(into: $0) }
                guard n > 0 else { throw Failure(description: "connection ended or timed out (\(n))") }
            }
        }

        /// The next message or close, skipping keep-alive pings/pongs (answered by the codec).
        func nextMessage() throws -> CopiedEvent {
            while true {
                let event = try next()
                switch event {
                case .ping, .pong: continue
                default: return event
                }
            }
        }
    }

    @Test(.timeLimit(.minutes(1))) func echoAgainstPythonWebsockets() throws {
        guard let python = Self.python() else {
            Issue.record("No venv python with websockets 17.4 found. Create one with: \(Self.venvHint)")
            return
        }
        let server = try EchoServer(python: python)
        let client = try Client(port: server.port)

        try client.send(.text, Array("hello".utf8))
        #expect(try client.nextMessage() == .text("hello"))

        // Multi-byte characters throughout, padded with ASCII so no character is cut.
        let pattern = Array("tickline €🚀 ".utf8)
        var big = Array([[UInt8]](repeating: pattern, count: (200 * 1024 - 4) / pattern.count).joined())
        big += [UInt8](repeating: UInt8(ascii: "x"), count: 200 * 1024 - 4 - big.count) + Array("end!".utf8)
        #expect(big.count == 200 * 1024)
        try client.send(.text, big)
        #expect(try client.nextMessage() == .message(.text, big))

        let binary = (0..<5000).map { UInt8(truncatingIfNeeded: $0 &* 37) }
        try client.send(.binary, binary)
        #expect(try client.nextMessage() == .message(.binary, binary))

        // A fragmented message from us, with a ping between its fragments.
        try client.send(.text, Array("frag-".utf8), fin: false)
        try client.send(.ping, Array("between".utf8))
        try client.send(.continuation, Array("ment-".utf8), fin: false)
        try client.send(.continuation, Array("ed".utf8), fin: true)
        #expect(try client.next() == .pong(Array("between".utf8)))
        #expect(try client.nextMessage() == .text("frag-ment-ed"))

        try client.send(.ping, Array("cli-ping".utf8))
        #expect(try client.next() == .pong(Array("cli-ping".utf8)))

        // A fragmented message from them.
        let framesBefore = client.codec.counters.frames
        try client.send(.text, Array("fragment-me".utf8))
        #expect(try client.nextMessage() == .text("Hello, fragmented world"))
        #expect(client.codec.counters.frames - framesBefore >= 3)

        // Their ping, our automatic pong, their confirmation.
        try client.send(.text, Array("ping-me".utf8))
        #expect(try client.next() == .ping(Array("srv-ping".utf8)))
        #expect(try client.nextMessage() == .text("pong-received"))
        #expect(client.codec.counters.pingsAnswered >= 1)

        // Close handshake initiated by us.
        try client.codec.close(code: 1000, reason: Array("bye".utf8))
        try client.flush()
        #expect(client.codec.state == .closing)
        #expect(try client.nextMessage() == .closed(1000))
        #expect(client.codec.state == .closed)
        #expect(client.codec.counters.totalErrors == 0)
        #expect(client.codec.counters.messages == 6)
    }
}
