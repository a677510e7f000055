import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The repository checkout these tests run from.
let checkoutRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The `tickline` binary the tests run: `TICKLINE_BINARY`, or `.build/debug/tickline` in the
/// repository (what `make test` builds).
public let ticklineBinary: URL = ProcessInfo.processInfo.environment["TICKLINE_BINARY"].map(URL.init(fileURLWithPath:))
    ?? checkoutRoot.appendingPathComponent(".build/debug/tickline")

/// `tickline sim --port 0` started for a test and stopped when released; `fault` drives its
/// admin API. Everything stays on 127.0.0.1. Shared by the engine's and the execution's tests.
public final class SimulatorProcess {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let process = Process()
    public let port: UInt16

    /// - Parameter arguments: more `tickline sim` flags (e.g. `--manual-clock`).
    public init(seed: UInt64, arguments: [String] = []) throws {
        let binary = ticklineBinary
        guard FileManager.default.isExecutableFile(atPath: binary.path) else {
            throw Failure(description: "build tickline first (\(binary.path), or set TICKLINE_BINARY)")
        }
        process.executableURL = binary
        process.arguments = ["sim", "--host", "127.0.0.1", "--port", "0", "--seed", String(seed)] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = readFirstLine(out.fileHandleForReading.fileDescriptor).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = UInt16(text.split(separator: ":").last ?? "") else {
            process.terminate()
            throw Failure(description: "tickline sim did not print its port (got \"\(text)\")")
        }
        self.port = port
    }

    deinit {
        process.terminate()
        // A child of the test runner may inherit SIGTERM blocked: do not wait for it forever.
        for _ in 0..<200 where process.isRunning { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// POST /sim/faults?... (fault injection).
    public func fault(_ query: String) throws {
        _ = try request("POST", "/sim/faults?\(query)")
    }

    /// POST /sim/advance?ms=N (manual clock): the simulator's time after the step.
    @discardableResult
    public func advance(ms: Int64) throws -> Int64 {
        let answer = try request("POST", "/sim/advance?ms=\(ms)")
        guard let t = Int64(answer.split(separator: ":").last?.dropLast() ?? "") else {
            throw Failure(description: "POST /sim/advance: unexpected answer \(answer)")
        }
        return t
    }

    /// One HTTP/1.1 request over a blocking loopback socket (test-only code); returns the body.
    /// Throws unless the status is 200.
    public func request(_ method: String, _ path: String, headers: [String] = []) throws -> String {
        let (status, body) = try exchange(method, path, headers: headers)
        guard status == 200 else { throw Failure(description: "\(method) \(path): HTTP \(status) \(body.prefix(200))") }
        return body
    }

    /// One HTTP/1.1 request; returns the status and body, whatever the status.
    public func exchange(_ method: String, _ path: String, headers: [String] = []) throws -> (status: Int, body: String) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { throw Failure(description: "connect to the simulator on port \(port) failed") }
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n"
        for h in headers { text += h + "\r\n" }
        text += "\r\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        var response: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            response += buf[0..<n]
        }
        let whole = String(decoding: response, as: UTF8.self)
        let parts = whole.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, let status = Int(parts[1]) else {
            throw Failure(description: "\(method) \(path): no HTTP status in \(whole.prefix(200))")
        }
        guard let split = whole.range(of: "\r\n\r\n") else { return (status, "") }
        return (status, String(whole[split.upperBound...]))
    }
}
