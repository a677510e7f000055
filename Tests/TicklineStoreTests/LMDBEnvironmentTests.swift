import CLMDB
import Glibc
import Synchronization
import Testing
import TicklineTestSupport
@testable import TicklineStore

@Suite("LMDBEnvironment")
struct LMDBEnvironmentTests {
    @Test("put, zero-copy get, ordered scan, delete, count")
    func basics() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(path: dir.sub("env"))
            let db = try env.openDatabase("t")
            try env.update { txn in
                for i: UInt64 in [5, 1, 3, 2, 4] { try txn.put(db, key(i), i * 10) }
            }
            let reader = env.makeReader()
            try reader.read { txn in
                #expect(try txn.uint64(db, key(3)) == 30)
                #expect(try txn.uint64(db, key(9)) == nil)
                #expect(try txn.count(db) == 5)
                var seen: [UInt64] = []
                try txn.scan(db) { k, v in
                    seen.append(StoreKey.readUInt64(k, at: 0))
                    #expect(v.loadUnaligned(as: UInt64.self) == StoreKey.readUInt64(k, at: 0) * 10)
                    return true
                }
                #expect(seen == [1, 2, 3, 4, 5])
                var from3: [UInt64] = []
                _ = try key(3).withUnsafeBytes { start in
                    try txn.scan(db, from: start) { k, _ in
                        from3.append(StoreKey.readUInt64(k, at: 0))
                        return true
                    }
                }
                #expect(from3 == [3, 4, 5])
                try txn.withCursor(db) { c throws in
                    #expect(try c.last())
                    #expect(StoreKey.readUInt64(c.key, at: 0) == 5)
                    #expect(try c.previous())
                    #expect(StoreKey.readUInt64(c.key, at: 0) == 4)
                }
            }
            try env.update { txn throws in
                #expect(try key(2).withUnsafeBytes { try txn.delete(db, key: $0) })
                #expect(try !key(2).withUnsafeBytes { try txn.delete(db, key: $0) })
            }
            try reader.read { txn throws in #expect(try txn.count(db) == 4) }
        }
    }

    @Test("LMDB codes map to LMDBError cases")
    func errorMapping() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(path: dir.sub("env"),
                                          options: .init(mapSizeBytes: 64 << 10, maxReaders: 2, growth: .disabled))
            let db = try env.openDatabase("t")
            try env.update { txn in try txn.put(db, key(1), 1) }
            // MDB_NOOVERWRITE on an existing key
            #expect(throws: LMDBError.keyExists) {
                try env.update { txn in
                    var v: UInt64 = 2
                    try key(1).withUnsafeBytes { k in
                        try withUnsafeBytes(of: &v) { try txn.put(db, key: k, value: $0, flags: .noOverwrite) }
                    }
                }
            }
            // A 64 KiB map with growth disabled fills up.
            #expect(throws: LMDBError.mapFull) {
                try env.update { txn in for i in 0..<100_000 as Range<UInt64> { try txn.put(db, key(i, i), i) } }
            }
            // Every reader slot taken (maxReaders 2).
            let r1 = env.makeReader(), r2 = env.makeReader(), r3 = env.makeReader()
            _ = try r1.read { try $0.count(db) }
            _ = try r2.read { try $0.count(db) }
            #expect(throws: LMDBError.readersFull) { _ = try r3.read { try $0.count(db) } }
            r1.close()
            #expect(try r3.read { try $0.count(db) } == 1)  // the failed map-full batch left nothing
            #expect(LMDBError(code: ENOSPC) == .other(code: ENOSPC, message: "No space left on device"))
            #expect(LMDBError(code: EIO).isTransient && !LMDBError(code: ENOSPC).isTransient)
        }
    }

    @Test("a read transaction is begun once and renewed for every later read")
    func readTransactionReuse() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(path: dir.sub("env"))
            let db = try env.openDatabase("t")
            let reader = env.makeReader()
            for i: UInt64 in 1...100 {
                try env.update { txn in try txn.put(db, key(0), i) }
                // Each read sees the latest commit: the renewed transaction takes a fresh snapshot.
                #expect(try reader.read { try $0.uint64(db, key(0)) } == i)
            }
            #expect(reader.begins == 1)
            #expect(reader.renewals == 99)
            #expect(env.readerSlotsHeld == 1)  // one slot, kept across resets
            reader.close()
            #expect(env.readerSlotsHeld == 0)
            _ = try reader.read { try $0.count(db) }
            #expect(reader.begins == 2)
        }
    }

    @Test("aborted and abandoned write transactions leave nothing")
    func abortIsInvisible() throws {
        try withTempDirectory { dir in
            let path = dir.sub("env")
            do {
                let env = try LMDBEnvironment(path: path)
                let db = try env.openDatabase("t")
                try env.update { txn in try txn.put(db, key(1), 1) }
                let a = try env.beginWrite()
                try a.put(db, key(2), 2)
                a.abort()
                do {
                    let b = try env.beginWrite()
                    try b.put(db, key(3), 3)
                    // b goes out of scope uncommitted: aborted by its deinit
                }
                struct Boom: Error {}
                #expect(throws: Boom.self) { try env.update { txn in try txn.put(db, key(4), 4); throw Boom() } }
                let c = try env.beginWrite()
                try c.put(db, key(5), 5)
                try c.commit()
            }
            // Reopen: only the committed keys.
            let env = try LMDBEnvironment(path: path)
            let db = try env.openDatabase("t", create: false)
            try env.makeReader().read { txn throws in
                #expect(try txn.count(db) == 2)
                #expect(try txn.uint64(db, key(1)) == 1)
                #expect(try txn.uint64(db, key(5)) == 5)
            }
        }
    }

    @Test("transient commit errors are retried up to 3 times, then reported")
    func transientRetries() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(path: dir.sub("env"))
            let db = try env.openDatabase("t")
            env.faults.failNextCommits([EIO, EIO])
            try env.update { txn in try txn.put(db, key(1), 1) }
            #expect(env.transientRetries == 2)
            env.faults.failNextCommits([EIO, EIO, EIO, EIO])
            #expect(throws: LMDBError.other(code: EIO, message: "Input/output error")) {
                try env.update { txn in try txn.put(db, key(2), 2) }
            }
            #expect(env.transientRetries == 5)
            env.faults.failNextCommits([ENOSPC])  // not transient: no retry
            #expect(throws: LMDBError.self) { try env.update { txn in try txn.put(db, key(3), 3) } }
            #expect(env.transientRetries == 5)
            try env.makeReader().read { txn throws in
                #expect(try txn.count(db) == 1)
                #expect(try txn.uint64(db, key(1)) == 1)
            }
        }
    }

    @Test("the map grows several times under a reader thread hammering reads; nothing is lost")
    func growthWithConcurrentReader() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(path: dir.sub("env"),
                                          options: .init(mapSizeBytes: 1 << 20, flags: [.noTLS, .noSync]))
            let db = try env.openDatabase("t")
            let initialMap = env.mapSizeBytes
            let stop = Atomic<Bool>(false)
            let reads = Atomic<Int>(0)
            let badReads = Atomic<Int>(0)
            let highestSeen = Atomic<Int>(0)
            let batches = 160, perBatch = 1000
            let reader = try TestThread {
                let r = env.makeReader()
                var probe: UInt64 = 0
                while !stop.load(ordering: .acquiring) {
                    do {
                        try r.read { txn in
                            // The batch counter and a record of the last committed batch must agree.
                            let last = try txn.uint64(db, key(UInt64.max)) ?? 0
                            if last > 0 {
                                probe = (probe &+ 7919) % last
                                let k = key(probe, probe &* 31 % UInt64(perBatch))
                                if try txn.uint64(db, k) != probe { badReads.add(1, ordering: .relaxed) }
                                if Int(last) > highestSeen.load(ordering: .relaxed) {
                                    highestSeen.store(Int(last), ordering: .relaxed)
                                }
                            }
                        }
                        reads.add(1, ordering: .relaxed)
                    } catch {
                        badReads.add(1, ordering: .relaxed)
                    }
                }
            }
            var writeError: (any Error)?
            do {
                for b in 0..<UInt64(batches) {
                    try env.update { txn in
                        for i in 0..<UInt64(perBatch) { try txn.put(db, key(b, i), b) }
                        try txn.put(db, key(UInt64.max), b + 1)
                    }
                }
            } catch {
                writeError = error
            }
            stop.store(true, ordering: .releasing)
            reader.join()
            if let writeError { throw writeError }

            #expect(env.growths >= 3, "map \(initialMap) → \(env.mapSizeBytes)")
            #expect(env.mapSizeBytes >= initialMap * 8)
            #expect(badReads.load(ordering: .relaxed) == 0)
            #expect(reads.load(ordering: .relaxed) > 0)
            try env.makeReader().read { txn in
                #expect(try txn.count(db) == batches * perBatch + 1)
                var expected: UInt64 = 0
                var n = 0
                try txn.scan(db) { k, v in
                    if StoreKey.readUInt64(k, at: 0) == UInt64.max { return false }
                    if StoreKey.readUInt64(k, at: 8) == 0 && n > 0 { expected += 1 }
                    if v.loadUnaligned(as: UInt64.self) != expected { return false }
                    n += 1
                    return true
                }
                #expect(n == batches * perBatch)
            }
        }
    }

    @Test("growth waits for readers, and gives up (deferred, retryable) when one stays too long")
    func growthDeferredByLongReader() throws {
        try withTempDirectory { dir in
            let env = try LMDBEnvironment(
                path: dir.sub("env"),
                options: .init(mapSizeBytes: 1 << 20, growth: .init(readerWaitNs: 50_000_000)))
            let db = try env.openDatabase("t")
            let inside = Atomic<Bool>(false)
            let release = Atomic<Bool>(false)
            let holder = try TestThread {
                _ = try? env.makeReader().read { txn in
                    inside.store(true, ordering: .releasing)
                    while !release.load(ordering: .acquiring) { sched_yield() }
                    return try txn.count(db)
                }
            }
            while !inside.load(ordering: .acquiring) { sched_yield() }
            let before = env.mapSizeBytes
            #expect(throws: LMDBError.other(code: EBUSY, message: "map growth deferred: readers did not leave in time")) {
                try env.growMap()
            }
            #expect(env.growthDeferrals == 1)
            #expect(env.mapSizeBytes == before)
            #expect(!env.readerGate.isClosed)
            release.store(true, ordering: .releasing)
            holder.join()
            try env.growMap()
            #expect(env.mapSizeBytes == before * 2)
            try env.update { txn in try txn.put(db, key(1), 1) }
        }
    }

    @Test("reopening shows only committed batches (open / write / abort / close sequences)")
    func reopenAfterAbortedBatches() throws {
        try withTempDirectory { dir in
            let path = dir.sub("env")
            for round in 0..<5 as Range<UInt64> {
                let env = try LMDBEnvironment(path: path)
                let db = try env.openDatabase("t")
                try env.update { txn in for i in 0..<10 as Range<UInt64> { try txn.put(db, key(round, i), round) } }
                let t = try env.beginWrite()
                for i in 0..<10 as Range<UInt64> { try t.put(db, key(round + 100, i), round) }
                if round % 2 == 0 { t.abort() }  // odd rounds: the environment closes with it open
            }
            let env = try LMDBEnvironment(path: path)
            let db = try env.openDatabase("t", create: false)
            try env.makeReader().read { txn in
                #expect(try txn.count(db) == 50)
                try txn.scan(db) { k, _ in
                    #expect(StoreKey.readUInt64(k, at: 0) < 5)
                    return true
                }
            }
        }
    }
}
