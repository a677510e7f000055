import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to completion and returns its exit status, stdout and stderr.
///
/// Output goes to temporary files, not pipes: Foundation's `FileHandle` reads on a pipe
/// `try!` through `EINTR`, and with many child processes in a parallel test run a SIGCHLD
/// landing in such a blocking read crashed the whole test process. Files also cannot fill up
/// and block the child.
public func runChildProcess(_ executable: URL, _ args: [String], environment: [String: String] = [:],
                            directory: URL? = nil) throws -> (status: Int32, out: String, err: String) {
    let dir = FileManager.default.temporaryDirectory
    let tag = "tickline-child-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
    let outURL = dir.appendingPathComponent(tag + ".out"), errURL = dir.appendingPathComponent(tag + ".err")
    FileManager.default.createFile(atPath: outURL.path, contents: nil)
    FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
    let p = Process()
    p.executableURL = executable
    p.arguments = args
    if let directory { p.currentDirectoryURL = directory }
    var env = ProcessInfo.processInfo.environment
    env.merge(environment) { $1 }
    p.environment = env
    p.standardOutput = out
    p.standardError = err
    try p.run()
    p.waitUntilExit()
    try? out.close()
    try? err.close()
    let o = (try? Data(contentsOf: outURL)) ?? Data(), e = (try? Data(contentsOf: errURL)) ?? Data()
    return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
}

/// Reads from `fd` until a newline (or end of file), retrying `EINTR`: for the first line a
/// helper server prints (its port).
public func readFirstLine(_ fd: Int32, limit: Int = 4096) -> String {
    var line: [UInt8] = []
    var byte: UInt8 = 0
    while line.count < limit {
        let n = read(fd, &byte, 1)
        if n < 0, errno == EINTR { continue }
        if n <= 0 || byte == 0x0A { break }
        line.append(byte)
    }
    return String(decoding: line, as: UTF8.self)
}
