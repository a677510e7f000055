import CLMDB
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One LMDB environment (a directory holding `data.mdb` and `lock.mdb`): the memory map, the
/// reader table and the process's single writer.
///
/// The wrapper reads like LMDB's API: verbs on an opaque handle, integer codes mapped to
/// `LMDBError`, and each lifetime stated where it begins.
///
/// ## Caveats (read first)
/// - **Lifetime.** The environment owns the `MDB_env*` and closes it in `deinit`. Transactions,
///   cursors and buffers handed to closures must not outlive it; `LMDBReader` keeps its
///   environment alive, write transactions are scoped by `update(_:)` or by the non-copyable
///   `LMDBWriteTransaction`.
/// - **One environment per path per process.** LMDB's locks are per process: opening the same
///   path twice in one process corrupts the lock protocol (lmdb.h, "Caveats").
/// - **`MDB_NOTLS` is on by default**, so a read transaction belongs to its `LMDBReader`, not to
///   a thread: readers may move between threads (one user at a time), and each live reader
///   holds one of `maxReaders` slots until it is closed.
/// - **Map growth** (`growMap`) closes the `readerGate`, so every read must go through
///   `LMDBReader` (which enters the gate) — never through a raw read transaction.
/// - **One writer.** LMDB serialises write transactions with a process-shared mutex; this
///   wrapper adds an in-process writer lock so that growth never races a write transaction of
///   another thread. In the engine only the store's writer agent writes.
///
/// ## Performance
/// Opening maps the file (no I/O beyond the meta pages); a large map costs address space only
/// (the file grows as pages are written). `sync()` is one `fdatasync`/`msync`.
public final class LMDBEnvironment: @unchecked Sendable {
    /// Flags for `mdb_env_open` (lmdb.h, "Environment Flags").
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// `MDB_NOSYNC`: commits do not flush; `sync()` does. A system crash may lose the last
        /// commits (never corrupt the file, as long as the filesystem keeps write order).
        public static let noSync = Flags(rawValue: UInt32(MDB_NOSYNC))
        /// `MDB_NOMETASYNC`: flush data, not the meta page, at commit.
        public static let noMetaSync = Flags(rawValue: UInt32(MDB_NOMETASYNC))
        /// `MDB_NOTLS`: read transactions are not tied to threads (see Caveats).
        public static let noTLS = Flags(rawValue: UInt32(MDB_NOTLS))
        /// `MDB_NORDAHEAD`: no OS read-ahead (random reads on a map larger than RAM).
        public static let noReadahead = Flags(rawValue: UInt32(MDB_NORDAHEAD))
        /// `MDB_RDONLY`: no writes; opens an existing environment only.
        public static let readOnly = Flags(rawValue: UInt32(MDB_RDONLY))
    }

    /// What happens when a write meets `MDB_MAP_FULL`.
    public struct Growth: Sendable, Equatable {
        /// False: `MDB_MAP_FULL` is returned to the caller (a fixed-size map).
        public var isEnabled: Bool
        /// The new size is the old one times this (at least 2).
        public var factor: Int
        /// Never grow past this.
        public var maxMapSizeBytes: Int
        /// How long the writer waits for readers to leave before giving up this attempt.
        public var readerWaitNs: UInt64

        public init(isEnabled: Bool = true, factor: Int = 2, maxMapSizeBytes: Int = 1 << 40,
                    readerWaitNs: UInt64 = 100_000_000) {
            self.isEnabled = isEnabled
            self.factor = max(2, factor)
            self.maxMapSizeBytes = maxMapSizeBytes
            self.readerWaitNs = readerWaitNs
        }

        public static let disabled = Growth(isEnabled: false)
    }

    public struct Options: Sendable {
        /// Initial map size (rounded up by LMDB to a page multiple). An existing file whose
        /// stored size or data is larger keeps its larger size.
        public var mapSizeBytes: Int
        public var maxReaders: UInt32
        public var maxDatabases: UInt32
        public var flags: Flags
        public var growth: Growth
        /// File mode of new files.
        public var mode: mode_t
        /// Transient write errors (`LMDBError.isTransient`) retried by `update` before it gives up.
        public var maxTransientRetries: Int

        public init(mapSizeBytes: Int = 8 << 30, maxReaders: UInt32 = 126, maxDatabases: UInt32 = 16,
                    flags: Flags = [.noTLS], growth: Growth = Growth(), mode: mode_t = 0o640,
                    maxTransientRetries: Int = 3) {
            self.mapSizeBytes = mapSizeBytes
            self.maxReaders = maxReaders
            self.maxDatabases = maxDatabases
            self.flags = flags
            self.growth = growth
            self.mode = mode
            self.maxTransientRetries = maxTransientRetries
        }
    }

    /// The `MDB_env*`: valid from `init` to `deinit`.
    public let handle: OpaquePointer
    public let path: String
    public let options: Options
    /// The gate every `LMDBReader` passes; growth closes it.
    public let readerGate = LMDBReaderGate()

    private let currentMapSize: Atomic<Int>
    /// Read and written under the writer lock.
    private var growthPolicy: Growth
    private let writerBusy = Atomic<Bool>(false)
    private let growthCount = Atomic<Int>(0)
    private let growthDeferralCount = Atomic<Int>(0)
    private let staleReaders = Atomic<Int>(0)
    private let retryCount = Atomic<Int>(0)
    private let syncCount = Atomic<Int>(0)

    /// Failures to report from the next commits instead of committing (tests only; see
    /// `LMDBFaultInjector`).
    let faults = LMDBFaultInjector()

    /// Opens (creating if needed) the environment at `path`, a directory created if missing,
    /// then clears stale reader slots (`mdb_reader_check`).
    public init(path: String, options: Options = Options()) throws(LMDBError) {
        var env: OpaquePointer?
        try lmdbCheck(mdb_env_create(&env))
        guard let env else { throw LMDBError.other(code: ENOMEM, message: "mdb_env_create returned no handle") }
        do throws(LMDBError) {
            try lmdbCheck(mdb_env_set_mapsize(env, options.mapSizeBytes))
            try lmdbCheck(mdb_env_set_maxreaders(env, options.maxReaders))
            try lmdbCheck(mdb_env_set_maxdbs(env, options.maxDatabases))
            if !options.flags.contains(.readOnly), mkdir(path, 0o750) != 0, errno != EEXIST {
                throw LMDBError(code: errno)
            }
            try lmdbCheck(mdb_env_open(env, path, options.flags.rawValue, options.mode))
        } catch {
            mdb_env_close(env)
            throw error
        }
        self.handle = env
        self.path = path
        self.options = options
        self.growthPolicy = options.growth
        var info = MDB_envinfo()
        mdb_env_info(env, &info)
        currentMapSize = Atomic(info.me_mapsize)
        _ = readerCheck()
    }

    deinit {
        mdb_env_close(handle)
    }

    // MARK: Maintenance (any thread)

    /// Frees reader slots left by dead processes (`mdb_reader_check`); returns how many, and
    /// adds them to `staleReadersCleared`. Cheap (scans the reader table): run it at start-up
    /// and periodically.
    @discardableResult
    public func readerCheck() -> Int {
        var dead: Int32 = 0
        guard mdb_reader_check(handle, &dead) == 0 else { return 0 }
        if dead > 0 { staleReaders.add(Int(dead), ordering: .relaxed) }
        return Int(dead)
    }

    /// Flushes committed data to disk (`mdb_env_sync(env, 1)`): what makes `MDB_NOSYNC`
    /// environments durable up to now.
    public func sync() throws(LMDBError) {
        try lmdbCheck(mdb_env_sync(handle, 1))
        syncCount.add(1, ordering: .relaxed)
    }

    /// The current map size in bytes.
    public var mapSizeBytes: Int { currentMapSize.load(ordering: .relaxed) }
    /// Reader slots held now, by live or dead processes (`mdb_reader_list`: slots with an owner
    /// pid; a reset `LMDBReader` keeps its slot). A metric, not a hot-path call.
    public var readerSlotsHeld: Int {
        var lines = 0
        _ = withUnsafeMutablePointer(to: &lines) { counter in
            mdb_reader_list(handle, { message, context in
                // One header line, then one line per held slot, or "(no active readers)".
                if let message, message.pointee != 40 /* "(" */ {
                    context!.assumingMemoryBound(to: Int.self).pointee += 1
                }
                return 0
            }, counter)
        }
        return max(0, lines - 1)
    }

    /// Reader-table slots handed out so far (`mdb_env_info`'s `me_numreaders`: a high-water
    /// mark, since freed slots are reused).
    public var readersInUse: Int {
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        return Int(info.me_numreaders)
    }
    public var maxReaders: Int {
        var n: UInt32 = 0
        mdb_env_get_maxreaders(handle, &n)
        return Int(n)
    }
    /// Bytes of the map in use: (last used page + 1) × page size.
    public var usedBytes: Int {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(handle, &info)
        mdb_env_stat(handle, &stat)
        return (info.me_last_pgno + 1) * Int(stat.ms_psize)
    }

    /// The growth policy now (`options.growth` until `setGrowth`).
    public var growth: Growth {
        lockWriter()
        defer { unlockWriter() }
        return growthPolicy
    }

    /// Changes the growth policy, e.g. an operator raising `maxMapSizeBytes` after the store
    /// degraded on a full map: the writer's next retry grows and commits the queued batch.
    /// Waits for a write in progress to finish.
    public func setGrowth(_ growth: Growth) {
        lockWriter()
        defer { unlockWriter() }
        growthPolicy = growth
    }

    public var growths: Int { growthCount.load(ordering: .relaxed) }
    /// Growth attempts abandoned because readers did not leave in time.
    public var growthDeferrals: Int { growthDeferralCount.load(ordering: .relaxed) }
    public var staleReadersCleared: Int { staleReaders.load(ordering: .relaxed) }
    /// Transient errors retried by `update`.
    public var transientRetries: Int { retryCount.load(ordering: .relaxed) }
    public var syncs: Int { syncCount.load(ordering: .relaxed) }

    // MARK: Writing

    /// Begins a write transaction (`mdb_txn_begin`). It lives until `commit()` or `abort()`, or
    /// until it goes out of scope (which aborts). Blocks while another thread writes.
    ///
    /// Does not grow the map: on `.mapFull`, abort and call `growMap()` (or use `update`).
    public func beginWrite() throws(LMDBError) -> LMDBWriteTransaction {
        lockWriter()
        do throws(LMDBError) {
            return try beginWriteLocked(releasesWriterLock: true)
        } catch {
            unlockWriter()
            throw error
        }
    }

    /// Runs `body` in a write transaction and commits. On `MDB_MAP_FULL` the transaction is
    /// aborted, the map grown (if `growth` allows) and `body` run again; transient
    /// errors are retried up to `options.maxTransientRetries` times. So `body` must depend only
    /// on its inputs and the transaction (it may run more than once); nothing it wrote survives
    /// a failed attempt.
    ///
    /// Errors thrown by `body` abort and are rethrown as they are.
    @discardableResult
    public func update<R>(_ body: (borrowing LMDBWriteTransaction) throws -> R) throws -> R {
        lockWriter()
        defer { unlockWriter() }
        var transientLeft = options.maxTransientRetries
        while true {
            do {
                let txn = try beginWriteLocked(releasesWriterLock: false)
                let result = try body(txn)
                try txn.commit()
                return result
            } catch {
                // LMDB errors may arrive bare or wrapped by a table (`StoreError.lmdb`).
                guard let lmdb = Self.lmdbError(in: error) else { throw error }
                if lmdb == .mapFull, growthPolicy.isEnabled {
                    try growMapLocked()  // a failure here (cap, readers) ends the update
                    continue
                }
                if lmdb.isTransient, transientLeft > 0 {
                    transientLeft -= 1
                    retryCount.add(1, ordering: .relaxed)
                    continue
                }
                throw error
            }
        }
    }

    static func lmdbError(in error: any Error) -> LMDBError? {
        if let e = error as? LMDBError { return e }
        if case .lmdb(let e, _)? = error as? StoreError { return e }
        return nil
    }

    /// Grows the map by `growth.factor` (capped at `growth.maxMapSizeBytes`) while no
    /// transaction of this process is open: closes `readerGate`, waits for readers to leave,
    /// `mdb_env_set_mapsize`, opens the gate.
    ///
    /// Throws `.mapFull` when growth is disabled or at its cap, `.other(EBUSY)` when readers did
    /// not leave within `readerWaitNs` (try again later). Must not be called with a write
    /// transaction open, nor from inside a `LMDBReader.read`.
    public func growMap() throws(LMDBError) {
        lockWriter()
        defer { unlockWriter() }
        try growMapLocked()
    }

    @inline(never)
    func growMapLocked() throws(LMDBError) {
        let growth = growthPolicy
        let current = currentMapSize.load(ordering: .relaxed)
        guard growth.isEnabled, current < growth.maxMapSizeBytes else { throw .mapFull }
        let (product, overflow) = current.multipliedReportingOverflow(by: growth.factor)
        let target = overflow ? growth.maxMapSizeBytes : min(product, growth.maxMapSizeBytes)
        guard readerGate.close(timeoutNs: growth.readerWaitNs) else {
            growthDeferralCount.add(1, ordering: .relaxed)
            throw .other(code: EBUSY, message: "map growth deferred: readers did not leave in time")
        }
        let rc = mdb_env_set_mapsize(handle, target)
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        readerGate.open()
        try lmdbCheck(rc)
        currentMapSize.store(info.me_mapsize, ordering: .relaxed)
        growthCount.add(1, ordering: .relaxed)
    }

    func beginWriteLocked(releasesWriterLock: Bool) throws(LMDBError) -> LMDBWriteTransaction {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(handle, nil, 0, &txn)
        if rc == MDB_MAP_RESIZED {
            // Another process grew the map: adopt its size (no transaction is open here).
            rc = adoptForeignMapSize()
            if rc == 0 { rc = mdb_txn_begin(handle, nil, 0, &txn) }
        }
        try lmdbCheck(rc)
        return LMDBWriteTransaction(txn: txn!, environment: self, releasesWriterLock: releasesWriterLock)
    }

    private func adoptForeignMapSize() -> Int32 {
        guard readerGate.close(timeoutNs: growthPolicy.readerWaitNs) else { return EBUSY }
        let rc = mdb_env_set_mapsize(handle, 0)
        var info = MDB_envinfo()
        mdb_env_info(handle, &info)
        readerGate.open()
        currentMapSize.store(info.me_mapsize, ordering: .relaxed)
        return rc
    }

    // The writer lock: taken for a whole `update` (all its attempts and growths) or from
    // `beginWrite` to the end of that transaction. Contention means two writers, which the
    // engine does not have, so a yielding spin is enough.
    func lockWriter() {
        while !writerBusy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged {
            sched_yield()
        }
    }

    func unlockWriter() {
        writerBusy.store(false, ordering: .releasing)
    }

    // MARK: Databases

    /// Opens (creating when `create`) the named database `name` in its own short write
    /// transaction. The handle stays valid for the life of the environment.
    public func openDatabase(_ name: String, create: Bool = true) throws(LMDBError) -> LMDBDatabase {
        let txn = try beginWrite()
        let db = try txn.openDatabase(name, create: create)
        try txn.commit()
        return db
    }

    /// A reusable read transaction (see `LMDBReader`).
    public func makeReader() -> LMDBReader {
        LMDBReader(environment: self)
    }
}

/// Makes commits fail on purpose (tests): each queued code is returned by one commit, after
/// aborting its transaction, as a real failed commit would. Writer-thread only.
final class LMDBFaultInjector: @unchecked Sendable {
    private var queued: [Int32] = []
    private let armed = Atomic<Bool>(false)

    func failNextCommits(_ codes: [Int32]) {
        queued.append(contentsOf: codes)
        armed.store(!queued.isEmpty, ordering: .releasing)
    }

    /// The next failure to report, if any; costs one relaxed load when none is queued.
    @inline(__always)
    func nextCommitFailure() -> Int32? {
        guard armed.load(ordering: .acquiring) else { return nil }
        let code = queued.removeFirst()
        armed.store(!queued.isEmpty, ordering: .releasing)
        return code
    }

    var pending: Int { queued.count }
}
