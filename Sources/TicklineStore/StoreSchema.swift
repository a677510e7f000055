/// The two environments of the store.
public enum StoreEnvironmentKind: String, Sendable, CaseIterable {
    /// Synced at every commit: trades, orders, fills, denials, snapshots, models.
    case journal
    /// `MDB_NOSYNC`, synced every N ms by the writer: candles, signals.
    case market
}

/// One step of a schema upgrade: rewrites an environment from `fromVersion` to
/// `fromVersion + 1`, in the same write transaction that records the new version in `meta`,
/// so a crash leaves the environment at one version or the other, never between.
///
/// `run` receives that transaction and the store's table handles (use only those of
/// `environment`); it may open new named databases in the transaction.
public struct StoreMigration: Sendable {
    public var environment: StoreEnvironmentKind
    public var fromVersion: UInt32
    public var run: @Sendable (borrowing LMDBWriteTransaction, StoreTables) throws -> Void

    public init(environment: StoreEnvironmentKind, fromVersion: UInt32,
                run: @escaping @Sendable (borrowing LMDBWriteTransaction, StoreTables) throws -> Void) {
        self.environment = environment
        self.fromVersion = fromVersion
        self.run = run
    }
}

/// The `meta` table of each environment: small named values. Keys are ASCII names; each value
/// is `[layout version = 1][u32 LE]` (5 bytes).
///
/// | key | value |
/// |---|---|
/// | `schema_version` | the environment's schema version (absent in a new file) |
public struct MetaTable: Sendable {
    public let db: LMDBDatabase
    public static let tableName = "meta"
    public static let schemaVersionKey = "schema_version"
    static let layoutVersion: UInt8 = 1

    public init(db: LMDBDatabase) { self.db = db }

    public func readUInt32<T: LMDBTransaction & ~Copyable>(_ name: String, in txn: borrowing T) throws(StoreError) -> UInt32? {
        var nameBytes = Array(name.utf8)
        do {
            return try nameBytes.withUnsafeMutableBytes { k in
                try txn.withValue(db, key: UnsafeRawBufferPointer(k)) { v throws(StoreError) -> UInt32 in
                    guard v.count == 5, v[0] == Self.layoutVersion else {
                        throw .corruptRecord(table: Self.tableName, key: name,
                                             reason: "meta value of \(v.count) bytes, version \(v.first ?? 0)")
                    }
                    var r = RecordReader(v, offset: 1)
                    return r.u32()
                }
            }
        } catch let e as StoreError {
            throw e
        } catch let e as LMDBError {
            throw .lmdb(e, table: Self.tableName)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    public func writeUInt32(_ name: String, _ value: UInt32, in txn: borrowing LMDBWriteTransaction) throws(StoreError) {
        var nameBytes = Array(name.utf8)
        var bytes: (UInt8, UInt8, UInt8, UInt8, UInt8) = (Self.layoutVersion, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &bytes) { b in
            var w = RecordWriter(b.baseAddress!, offset: 1)
            w.u32(value)
        }
        do {
            try nameBytes.withUnsafeMutableBytes { k in
                try withUnsafeBytes(of: &bytes) { v in
                    try txn.put(db, key: UnsafeRawBufferPointer(k), value: UnsafeRawBufferPointer(rebasing: v[0..<5]))
                }
            }
        } catch let e as LMDBError {
            throw .lmdb(e, table: Self.tableName)
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }
}
