import Foundation

/// A throwaway PKI for TLS tests, made with the openssl CLI in a temporary directory: `ca.pem`
/// (the CA the client trusts), `server.pem`/`server.key` (for localhost and 127.0.0.1, signed
/// by it) and `other-ca.pem` (a CA that signed nothing, for verification failures).
public struct TestPKI {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public let directory: URL
    public var caFile: String { directory.appendingPathComponent("ca.pem").path }
    public var otherCAFile: String { directory.appendingPathComponent("other-ca.pem").path }
    public var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
    public var serverKey: String { directory.appendingPathComponent("server.key").path }

    public init() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("tickline-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
            .write(to: directory.appendingPathComponent("ext.cnf"), atomically: true, encoding: .utf8)
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
            p.currentDirectoryURL = directory
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            guard p.terminationStatus == 0 else { throw Failure(description: "openssl \(args.joined(separator: " ")) failed") }
        }
    }

    public func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// A helper server process (a Python script) that prints the port it bound as its first line;
/// terminated when released.
public final class PortPrintingProcess {
    public struct Failure: Error, CustomStringConvertible { public var description: String }

    public let process = Process()
    public let port: UInt16

    public init(executable: String = "/usr/bin/env", arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let text = readFirstLine(out.fileHandleForReading.fileDescriptor).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let port = UInt16(text.split(separator: ":").last ?? "") else {
            process.terminate()
            throw Failure(description: "\(arguments.joined(separator: " ")) did not print a port (got \"\(text)\")")
        }
        self.port = port
    }

    /// SIGKILL, not `terminate()`: a child of the test runner may inherit SIGTERM blocked, and
    /// waiting for it would hang the suite.
    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
