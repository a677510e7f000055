/// A named database holding one record type: typed put, get and range scan over the raw
/// LMDB calls. A value type of one integer: copy it freely; it is valid for the life of its
/// environment.
///
/// Writes encode straight into the page with `MDB_RESERVE` (no staging buffer); reads decode
/// from the map (no copy beyond the decoded struct).
@frozen
public struct StoreTable<Record: StoreRecord>: Sendable {
    public let db: LMDBDatabase

    public init(db: LMDBDatabase) { self.db = db }

    public var name: String { Record.tableName }

    /// Writes `record` at its key (replacing, unless `flags` contains `.noOverwrite`, which
    /// turns an existing key into `.duplicateKey`). Returns the bytes written (key + value).
    @discardableResult
    public func put(_ record: Record, in txn: borrowing LMDBWriteTransaction,
                    flags: LMDBPutFlags = []) throws(StoreError) -> Int {
        let key = record.key
        do {
            try key.withUnsafeBytes { (k) throws(LMDBError) in
                try txn.put(db, key: k, reserving: Record.encodedByteCount, flags: flags) { record.encode(into: $0) }
            }
        } catch .keyExists {
            throw .duplicateKey(table: Record.tableName, key: key.hex)
        } catch {
            throw .lmdb(error, table: Record.tableName)
        }
        return key.count + Record.encodedByteCount
    }

    /// The record at `key`, or nil.
    public func get<T: LMDBTransaction & ~Copyable>(_ key: StoreKey, in txn: borrowing T) throws(StoreError) -> Record? {
        do {
            return try key.withUnsafeBytes { k in
                try txn.withValue(db, key: k) { v in try Record.decode(v, key: k) }
            }
        } catch let e as StoreError {
            throw e
        } catch let e as LMDBError {
            throw .lmdb(e, table: Record.tableName)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Deletes the record at `key`; false when absent.
    @discardableResult
    public func delete(_ key: StoreKey, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> Bool {
        do {
            return try key.withUnsafeBytes { (k) throws(LMDBError) in try txn.delete(db, key: k) }
        } catch {
            throw .lmdb(error, table: Record.tableName)
        }
    }

    /// Visits records in key order from the first key ≥ `start` (or the first key) while the
    /// key starts with `prefix` (when given) and `body` returns true. Returns how many were visited.
    @discardableResult
    public func scan<T: LMDBTransaction & ~Copyable>(
        from start: StoreKey? = nil, prefix: StoreKey? = nil, in txn: borrowing T,
        _ body: (Record) throws -> Bool
    ) throws -> Int {
        var visited = 0
        do {
            try withOptionalBytes(start ?? prefix) { s in
                try withOptionalBytes(prefix) { p in
                    try txn.scan(db, from: s) { k, v in
                        if let p, !k.starts(with: p) { return false }
                        visited += 1
                        return try body(try Record.decode(v, key: k))
                    }
                }
            }
        } catch let e as LMDBError {
            throw StoreError.lmdb(e, table: Record.tableName)
        }
        return visited
    }

    /// Entries in the table.
    public func count<T: LMDBTransaction & ~Copyable>(in txn: borrowing T) throws(StoreError) -> Int {
        do {
            return try txn.count(db)
        } catch {
            throw .lmdb(error, table: Record.tableName)
        }
    }
}

@inlinable @discardableResult
func withOptionalBytes<R>(_ key: StoreKey?, _ body: (UnsafeRawBufferPointer?) throws -> R) rethrows -> R {
    if let key { return try key.withUnsafeBytes { try body($0) } }
    return try body(nil)
}
