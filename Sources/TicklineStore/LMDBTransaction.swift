import CLMDB

#if canImport(Glibc)
import Glibc
#endif

/// A named database (`MDB_dbi`) inside an environment: a small integer, valid for the life of
/// the environment once the transaction that opened it has committed.
@frozen
public struct LMDBDatabase: Sendable, Equatable {
    public let dbi: MDB_dbi
    public init(dbi: MDB_dbi) { self.dbi = dbi }
}

/// Flags for puts (lmdb.h, `mdb_put`).
public struct LMDBPutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    /// `MDB_NOOVERWRITE`: fail with `.keyExists` if the key is present.
    public static let noOverwrite = LMDBPutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// `MDB_APPEND`: the key is known to sort after every key in the database; skips the
    /// search and fills pages completely. A smaller or equal key fails with `.keyExists`.
    public static let append = LMDBPutFlags(rawValue: UInt32(MDB_APPEND))
}

/// What read and write transactions share: lookups and cursors.
///
/// Everything handed out (value buffers, cursors) lives no longer than the closure it is given
/// to, and never past the transaction: the buffers point into the memory map.
public protocol LMDBTransaction: ~Copyable {
    /// The `MDB_txn*`, valid while the transaction value is.
    var rawTransaction: OpaquePointer { get }
}

extension LMDBTransaction where Self: ~Copyable {
    /// Looks `key` up and hands the stored bytes to `body` without copying them (they are in
    /// the map, read-only). Returns nil when the key is absent.
    ///
    /// The buffer is valid only inside `body` (and, in a write transaction, only until the
    /// next write).
    @inlinable
    public func withValue<R>(
        _ db: LMDBDatabase, key: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) throws -> R
    ) throws -> R? {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(rawTransaction, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return nil }
        try lmdbCheck(rc)
        return try body(UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size))
    }

    /// True when `key` is present.
    public func contains(_ db: LMDBDatabase, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val()
        let rc = mdb_get(rawTransaction, db.dbi, &k, &v)
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc)
        return true
    }

    /// Entries in `db` (`mdb_stat`, O(1)).
    public func count(_ db: LMDBDatabase) throws(LMDBError) -> Int {
        var stat = MDB_stat()
        try lmdbCheck(mdb_stat(rawTransaction, db.dbi, &stat))
        return stat.ms_entries
    }

    /// Opens a cursor on `db` for the duration of `body` (closed after it).
    public func withCursor<R>(_ db: LMDBDatabase, _ body: (inout LMDBCursor) throws -> R) throws -> R {
        var cursor: OpaquePointer?
        try lmdbCheck(mdb_cursor_open(rawTransaction, db.dbi, &cursor))
        var c = LMDBCursor(cursor: cursor!)
        return try body(&c)
    }

    /// Visits entries in key order, starting at the first key ≥ `start` (or the first key),
    /// while `body` returns true. Key and value buffers are valid only during each call.
    /// Returns the number of entries visited.
    @discardableResult
    public func scan(
        _ db: LMDBDatabase, from start: UnsafeRawBufferPointer? = nil,
        _ body: (_ key: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer) throws -> Bool
    ) throws -> Int {
        try withCursor(db) { cursor in
            var found: Bool
            if let start { found = try cursor.seek(atLeast: start) } else { found = try cursor.first() }
            var visited = 0
            while found {
                visited += 1
                if try !body(cursor.key, cursor.value) { break }
                found = try cursor.next()
            }
            return visited
        }
    }
}

/// A write transaction: valid from `LMDBEnvironment.beginWrite()` until `commit()` or
/// `abort()`, or until it goes out of scope, which aborts (nothing it wrote survives).
///
/// Non-copyable, so the compiler enforces the lifetime: a committed transaction cannot be used
/// again. Every buffer a write hands out is valid only until the next write in the transaction.
public struct LMDBWriteTransaction: ~Copyable, LMDBTransaction {
    /// nil once committed or aborted.
    @usableFromInline var handle: OpaquePointer?
    /// Kept alive by the transaction: the environment must not close under it.
    public let environment: LMDBEnvironment
    let releasesWriterLock: Bool

    init(txn: OpaquePointer, environment: LMDBEnvironment, releasesWriterLock: Bool) {
        self.handle = txn
        self.environment = environment
        self.releasesWriterLock = releasesWriterLock
    }

    @inlinable public var rawTransaction: OpaquePointer { handle.unsafelyUnwrapped }

    deinit {
        if let handle {
            mdb_txn_abort(handle)
            if releasesWriterLock { environment.unlockWriter() }
        }
    }

    /// Commits (`mdb_txn_commit`): durable at return unless the environment is `noSync`. On
    /// failure LMDB has already freed the transaction; nothing was written.
    public consuming func commit() throws(LMDBError) {
        let txn = handle.unsafelyUnwrapped
        handle = nil
        defer { if releasesWriterLock { environment.unlockWriter() } }
        if let injected = environment.faults.nextCommitFailure() {
            mdb_txn_abort(txn)
            throw LMDBError(code: injected)
        }
        try lmdbCheck(mdb_txn_commit(txn))
    }

    /// Abandons every write of the transaction.
    public consuming func abort() {
        let txn = handle.unsafelyUnwrapped
        handle = nil
        mdb_txn_abort(txn)
        if releasesWriterLock { environment.unlockWriter() }
    }

    /// Stores `value` under `key`, replacing any value unless `flags` says otherwise.
    @inlinable
    public func put(_ db: LMDBDatabase, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer,
                    flags: LMDBPutFlags = []) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: value.count, mv_data: UnsafeMutableRawPointer(mutating: value.baseAddress))
        try lmdbCheck(mdb_put(rawTransaction, db.dbi, &k, &v, flags.rawValue))
    }

    /// Reserves `count` bytes under `key` (`MDB_RESERVE`) and lets `fill` write the value in
    /// place, in the map: no intermediate buffer. `fill` must write every byte.
    @inlinable
    public func put(_ db: LMDBDatabase, key: UnsafeRawBufferPointer, reserving count: Int,
                    flags: LMDBPutFlags = [], _ fill: (UnsafeMutableRawBufferPointer) -> Void) throws(LMDBError) {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        var v = MDB_val(mv_size: count, mv_data: nil)
        try lmdbCheck(mdb_put(rawTransaction, db.dbi, &k, &v, flags.rawValue | UInt32(MDB_RESERVE)))
        fill(UnsafeMutableRawBufferPointer(start: v.mv_data, count: count))
    }

    /// Deletes `key`; false when it was absent.
    @discardableResult
    public func delete(_ db: LMDBDatabase, key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        var k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_del(rawTransaction, db.dbi, &k, nil)
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc)
        return true
    }

    /// Opens (creating when `create`) the named database `name`. The handle becomes usable by
    /// other transactions once this one commits (and is dropped if it aborts).
    public func openDatabase(_ name: String, create: Bool = true) throws(LMDBError) -> LMDBDatabase {
        var dbi: MDB_dbi = 0
        try lmdbCheck(mdb_dbi_open(rawTransaction, name, create ? UInt32(MDB_CREATE) : 0, &dbi))
        return LMDBDatabase(dbi: dbi)
    }

    /// Deletes every entry of `db` (`mdb_drop(…, 0)`), keeping the database.
    public func removeAll(_ db: LMDBDatabase) throws(LMDBError) {
        try lmdbCheck(mdb_drop(rawTransaction, db.dbi, 0))
    }
}

/// A read transaction, lent by `LMDBReader.read` for the duration of its closure: a consistent
/// snapshot of the environment as of the closure's start.
public struct LMDBReadTransaction: ~Copyable, LMDBTransaction {
    public let rawTransaction: OpaquePointer
    init(txn: OpaquePointer) { rawTransaction = txn }
}

/// Cursor positioning for `LMDBCursor.move`.
public enum LMDBCursorOperation: Sendable {
    case first, last, next, previous
}

/// A cursor over one database, lent to a `withCursor` closure (closed after it).
///
/// `key` and `value` describe the current entry and point into the map: valid until the
/// cursor moves, a write happens in its transaction, or the closure returns.
public struct LMDBCursor: ~Copyable {
    @usableFromInline let cursor: OpaquePointer
    @usableFromInline var k = MDB_val()
    @usableFromInline var v = MDB_val()

    init(cursor: OpaquePointer) { self.cursor = cursor }

    deinit { mdb_cursor_close(cursor) }

    public var key: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: k.mv_data, count: k.mv_size) }
    public var value: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: v.mv_data, count: v.mv_size) }

    /// Moves; false when there is no such entry (empty database, past either end).
    @inlinable
    public mutating func move(_ operation: LMDBCursorOperation) throws(LMDBError) -> Bool {
        let op: MDB_cursor_op
        switch operation {
        case .first: op = MDB_FIRST
        case .last: op = MDB_LAST
        case .next: op = MDB_NEXT
        case .previous: op = MDB_PREV
        }
        let rc = mdb_cursor_get(cursor, &k, &v, op)
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc)
        return true
    }

    public mutating func first() throws(LMDBError) -> Bool { try move(.first) }
    public mutating func last() throws(LMDBError) -> Bool { try move(.last) }
    public mutating func next() throws(LMDBError) -> Bool { try move(.next) }
    public mutating func previous() throws(LMDBError) -> Bool { try move(.previous) }

    /// Positions at the first key ≥ `key` (`MDB_SET_RANGE`); false when every key is smaller.
    public mutating func seek(atLeast key: UnsafeRawBufferPointer) throws(LMDBError) -> Bool {
        k = MDB_val(mv_size: key.count, mv_data: UnsafeMutableRawPointer(mutating: key.baseAddress))
        let rc = mdb_cursor_get(cursor, &k, &v, MDB_SET_RANGE)
        if rc == MDB_NOTFOUND { return false }
        try lmdbCheck(rc)
        return true
    }

    /// Deletes the current entry (write transactions only); a following `next()` moves to the
    /// entry after the deleted one.
    public mutating func deleteCurrent() throws(LMDBError) {
        try lmdbCheck(mdb_cursor_del(cursor, 0))
    }
}
