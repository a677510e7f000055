import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Hands a value to another thread that uses it alone meanwhile.
struct UncheckedSendable<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}

/// A test helper executable (built beside the test bundle) as a child process: its stdout read
/// line by line, its stdin written line by line, SIGKILL on demand. The crash tests' children.
/// Closing stdin (when released) tells a child that reads it to exit.
public final class LineChildProcess {
    public let pid: pid_t
    let output: Int32
    let input: Int32
    private var buffer: [UInt8] = []
    private var exited = false
    /// Every line read so far.
    public private(set) var lines: [String] = []

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `name` in the directory of this test process's executable (where SwiftPM puts every
    /// executable of the package).
    public static func path(of name: String) -> String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, 4095) }
        }
        let exe = n > 0 ? String(decoding: buf[..<n], as: UTF8.self) : CommandLine.arguments[0]
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return dir + "/" + name
    }

    public convenience init(executable name: String, arguments: [String]) throws {
        let path = Self.path(of: name)
        guard access(path, X_OK) == 0 else { throw Failure(description: "\(name) not built at \(path)") }
        try self.init(path: path, arguments: arguments)
    }

    /// The program at `path` (an interpreter with its script, say), with this process's
    /// environment plus `environment`.
    public init(path: String, arguments: [String], environment: [String: String] = [:]) throws {
        var out: [Int32] = [0, 0], inp: [Int32] = [0, 0]
        guard pipe(&out) == 0, pipe(&inp) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, out[1], 1)
        posix_spawn_file_actions_adddup2(&actions, inp[0], 0)
        for fd in [out[0], out[1], inp[0], inp[1]] { posix_spawn_file_actions_addclose(&actions, fd) }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { $1 }
        let envp: [UnsafeMutablePointer<CChar>?] = merged.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in envp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, envp)
        close(out[1])
        close(inp[0])
        guard rc == 0 else {
            close(out[0])
            close(inp[1])
            throw Failure(description: "posix_spawn \(path): \(rc)")
        }
        pid = child
        output = out[0]
        input = inp[1]
    }

    deinit {
        kill()
        close(output)
        close(input)
    }

    /// Writes `line` and a newline to the child's stdin.
    public func send(_ line: String) throws {
        var text = line + "\n"
        let n = text.withUTF8 { b in write(input, b.baseAddress, b.count) }
        guard n == text.utf8.count else { throw Failure(description: "write to the child's stdin: errno \(errno)") }
    }

    /// Lines printed until (and including) the first one `matches` accepts; throws on timeout or
    /// early exit.
    @discardableResult
    public func readLines(timeoutMs: Int, until matches: (String) -> Bool) throws -> [String] {
        var got: [String] = []
        let deadline = Self.nowNs() + UInt64(timeoutMs) * 1_000_000
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                got.append(line)
                lines.append(line)
                if matches(line) { return got }
            }
            let now = Self.nowNs()
            guard now < deadline else { throw Failure(description: "timed out; last lines: \(got.suffix(3))") }
            var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32((deadline - now) / 1_000_000) + 1) <= 0 { continue }
            let n = read(output, &chunk, chunk.count)
            if n < 0, errno == EINTR { continue }
            if n <= 0 { throw Failure(description: "the child exited; last lines: \(got.suffix(3))") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// `readLines(timeoutMs:until:)` on a thread of its own, for async tests: a blocking read on
    /// one of Swift concurrency's few pool threads (two on this machine) would starve the servers
    /// the test talks to.
    @discardableResult
    public func lines(timeoutMs: Int, until matches: @escaping @Sendable (String) -> Bool) async throws -> [String] {
        let box = UncheckedSendable(self)
        return try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    continuation.resume(returning: try box.value.readLines(timeoutMs: timeoutMs, until: matches))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }

    /// Lines printed until (and including) `marker`.
    @discardableResult
    public func readLines(until marker: String, timeoutMs: Int) throws -> [String] {
        try readLines(timeoutMs: timeoutMs) { $0 == marker }
    }

    /// Sends `signal` (SIGTERM, say) without waiting.
    public func send(signal: Int32) {
        guard !exited else { return }
        Glibc.kill(pid, signal)
    }

    /// SIGKILL and reap (idempotent).
    public func kill() {
        guard !exited else { return }
        exited = true
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }

    /// Waits for the child to exit by itself (at most `timeoutMs`, then SIGKILL): its exit
    /// status, or nil when it was killed or did not exit in time.
    public func waitForExit(timeoutMs: Int) -> Int32? {
        guard !exited else { return nil }
        let deadline = Self.nowNs() + UInt64(timeoutMs) * 1_000_000
        var status: Int32 = 0
        while Self.nowNs() < deadline {
            if waitpid(pid, &status, WNOHANG) == pid {
                exited = true
                // WIFEXITED / WEXITSTATUS (macros Swift does not import).
                return status & 0x7f == 0 ? (status >> 8) & 0xff : nil
            }
            usleep(5_000)
        }
        kill()
        return nil
    }

    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// Runs blocking `body` (socket reads, process start and stop) on a thread of its own and awaits
/// it: async tests must not block one of Swift concurrency's few pool threads (two on this
/// machine), which the servers they talk to need.
public func onOwnThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
        }
        thread.start()
    }
}
