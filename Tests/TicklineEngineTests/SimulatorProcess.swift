import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `tickline` binary the tests run: `TICKLINE_BINARY`, or `.build/debug/tickline` in the
/// repository (what `make test` builds).
let ticklineBinary: URL = ProcessInfo.processInfo.environment["TICKLINE_BINARY"].map(URL.init(fileURLWithPath:))
    ?? repositoryRoot.appendingPathComponent(".build/debug/tickline")

/// `tickline sim --port 0` started for a test and stopped when released; `fault` drives its
/// admin API. Everything stays on 127.0.0.1.
final class SimulatorProcess {
    let process = Process()
    let port: UInt16
    /// - Parameter arguments: more `tickline sim` flags (e.g. `--manual-clock`).
    init(seed: UInt64, arguments: [String] = []) throws {
        let binary = ticklineBinary
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build tickline first")
        process.executableURL = binary
        process.arguments = ["sim", "--host", "127.0.0.1", "--port", "0", "--seed", String(seed)] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        port = try #require(UInt16(String(decoding: line, as: UTF8.self).split(separator: ":").last?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""))
    }
    deinit {
        process.terminate()
        process.waitUntilExit()
    }
    /// POST /sim/faults?... (fault injection).
    func fault(_ query: String) throws {
        _ = try request("POST", "/sim/faults?\(query)")
    }

    /// One HTTP/1.1 request over a blocking loopback socket (test-only code); returns the body.
    func request(_ method: String, _ path: String) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(rc == 0)
        let text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = text.withCString { write(fd, $0, strlen($0)) }
        var response: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(fd, &buf, buf.count)
            if n <= 0 { break }
            response += buf[0..<n]
        }
        let whole = String(decoding: response, as: UTF8.self)
        try #require(whole.hasPrefix("HTTP/1.1 200"), "\(method) \(path): \(whole.prefix(200))")
        guard let split = whole.range(of: "\r\n\r\n") else { return "" }
        return String(whole[split.upperBound...])
    }
}
