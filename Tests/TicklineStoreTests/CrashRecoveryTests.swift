import Glibc
import Testing
import TicklineTestSupport
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
                let child = try LineChildProcess(executable: "TicklineStoreCrashHelper",
                                                 arguments: [path, "pause", String(committed), String(Self.batchSize)])
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
            let child = try LineChildProcess(executable: "TicklineStoreCrashHelper",
                                             arguments: [path, "run", "30", String(Self.batchSize)])
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

