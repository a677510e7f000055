import Glibc
import Testing
@testable import TicklineStore

/// Kills a writer process (the `TicklineStoreCrashHelper` executable) with SIGKILL and checks
/// what a surviving process and a fresh open see: every committed batch whole, nothing of the
/// batch in flight, the dead process's reader slot found stale and cleared, its writer lock
/// recovered.
@Suite("Crash recovery")
struct CrashRecoveryTests {
    static let batchSize = 200

    @Test("SIGKILL inside an open write transaction: only committed batches survive")
    func killMidTransaction() throws {
        try withTempDirectory("crash") { dir in
            let path = dir.sub("env")
            let committed = 20
            do {
                // This process keeps the environment open while the helper dies, so the lock
                // file (and the helper's stale reader slot in it) outlives the helper.
                let env = try LMDBEnvironment(path: path)
                let db = try env.openDatabase("crash")
                let child = try HelperProcess(arguments: [path, "pause", String(committed), String(Self.batchSize)])
                let lines = try child.readLines(until: "mid", timeoutMs: 8_000)
                #expect(lines.filter { $0.hasPrefix("committed") }.count == committed)
                #expect(env.readerSlotsHeld == 1)  // the helper's reset read transaction
                child.kill()

                #expect(env.readerSlotsHeld == 1)  // still there: nobody has checked yet
                let cleared = env.readerCheck()
                #expect(cleared == 1, "the helper's reader slot should be stale")
                #expect(env.staleReadersCleared == 1)
                #expect(env.readerSlotsHeld == 0)
                try expectWholeBatches(env, db, exactly: committed)
                // The dead writer held LMDB's (robust) writer mutex: it must be usable again.
                try env.update { txn in try txn.put(db, key(999_999, 0), 1) }
            }
            // A fresh open (as after a machine restart) sees the same.
            let env = try LMDBEnvironment(path: path)
            let db = try env.openDatabase("crash", create: false)
            try expectWholeBatches(env, db, exactly: committed, extra: 1)
        }
    }

    @Test("SIGKILL at an arbitrary moment of a write loop: whole batches only")
    func killWhileWriting() throws {
        try withTempDirectory("crash") { dir in
            let path = dir.sub("env")
            let env = try LMDBEnvironment(path: path)
            let db = try env.openDatabase("crash")
            let child = try HelperProcess(arguments: [path, "run", "30", String(Self.batchSize)])
            let lines = try child.readLines(until: "ready", timeoutMs: 8_000)
            usleep(UInt32.random(in: 0...3_000))  // let it get somewhere inside the next batches
            child.kill()
            let reported = lines.filter { $0.hasPrefix("committed") }.count
            let count = try env.makeReader().read { try $0.count(db) }
            #expect(count % Self.batchSize == 0, "a partial batch is visible: \(count) records")
            #expect(count / Self.batchSize >= reported)
            try expectWholeBatches(env, db, exactly: count / Self.batchSize)
        }
    }

    /// Batches 0..<n present with all `batchSize` keys and the right values, nothing else
    /// (besides `extra` marker keys).
    func expectWholeBatches(_ env: LMDBEnvironment, _ db: LMDBDatabase, exactly n: Int, extra: Int = 0) throws {
        try env.makeReader().read { txn in
            #expect(try txn.count(db) == n * Self.batchSize + extra)
            var perBatch = [Int](repeating: 0, count: n)
            var wrong = 0
            try txn.scan(db) { k, v in
                let batch = Int(StoreKey.readUInt64(k, at: 0))
                guard batch < n else { return batch == 999_999 }
                perBatch[batch] += 1
                if v.count != 64 || v.loadUnaligned(as: UInt64.self) != UInt64(batch) { wrong += 1 }
                return true
            }
            #expect(perBatch.allSatisfy { $0 == Self.batchSize })
            #expect(wrong == 0)
        }
    }
}

/// The crash helper as a child process with its stdout on a pipe.
final class HelperProcess {
    let pid: pid_t
    let output: Int32
    private var buffer: [UInt8] = []
    private var exited = false

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// The helper binary sits beside the test bundle in the build directory.
    static var helperPath: String {
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = buf.withUnsafeMutableBufferPointer { b in
            b.withMemoryRebound(to: CChar.self) { readlink("/proc/self/exe", $0.baseAddress!, 4095) }
        }
        let exe = n > 0 ? String(decoding: buf[..<n], as: UTF8.self) : CommandLine.arguments[0]
        let dir = exe.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        return dir + "/TicklineStoreCrashHelper"
    }

    init(arguments: [String]) throws {
        let path = Self.helperPath
        guard access(path, X_OK) == 0 else { throw Failure(description: "crash helper not built at \(path)") }
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw Failure(description: "pipe: errno \(errno)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, path, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw Failure(description: "posix_spawn: \(rc)")
        }
        pid = child
        output = fds[0]
    }

    deinit {
        kill()
        close(output)
    }

    /// Lines printed until (and including) `marker`; throws on timeout or early exit.
    func readLines(until marker: String, timeoutMs: Int32) throws -> [String] {
        var lines: [String] = []
        let deadline = monotonicNowNs() + UInt64(timeoutMs) * 1_000_000
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            while let nl = buffer.firstIndex(of: 10) {
                let line = String(decoding: buffer[..<nl], as: UTF8.self)
                buffer.removeSubrange(...nl)
                lines.append(line)
                if line == marker { return lines }
            }
            let now = monotonicNowNs()
            guard now < deadline else { throw Failure(description: "timed out waiting for \(marker); got \(lines.suffix(3))") }
            var p = pollfd(fd: output, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, Int32((deadline - now) / 1_000_000) + 1)
            if ready <= 0 { continue }
            let n = read(output, &chunk, chunk.count)
            if n <= 0 { throw Failure(description: "helper exited before \(marker); got \(lines.suffix(3))") }
            buffer.append(contentsOf: chunk[..<n])
        }
    }

    /// SIGKILL and reap (idempotent).
    func kill() {
        guard !exited else { return }
        exited = true
        Glibc.kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
    }
}
