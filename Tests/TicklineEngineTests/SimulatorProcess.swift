import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `tickline sim --port 0` started for a test and stopped when released; `fault` drives its
/// admin API. Everything stays on 127.0.0.1.
final class SimulatorProcess {
    let process = Process()
    let port: UInt16
    init(seed: UInt64) throws {
        let binary = repositoryRoot.appendingPathComponent(".build/debug/tickline")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build tickline first")
        process.executableURL = binary
        process.arguments = ["sim", "--host", "127.0.0.1", "--port", "0", "--seed", String(seed)]
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
    /// POST /sim/faults?... with a blocking socket (test-only code).
    func fault(_ query: String) throws {
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
        let request = "POST /sim/faults?\(query) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = request.withCString { write(fd, $0, strlen($0)) }
        var buf = [UInt8](repeating: 0, count: 512)
        #expect(read(fd, &buf, buf.count) > 0)
    }
}
