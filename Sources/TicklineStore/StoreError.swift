/// A store failure with the table and key it concerns, so an operator can find the record.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LMDB refused (`table` is "" for environment-wide operations).
    case lmdb(LMDBError, table: String)
    /// A record failed validation before it was written; nothing was written.
    case invalidRecord(table: String, field: String)
    /// Stored bytes do not decode: an unknown layout version, a wrong length, an impossible
    /// field. Nothing is modified.
    case corruptRecord(table: String, key: String, reason: String)
    /// An insert met an existing key.
    case duplicateKey(table: String, key: String)
    /// An update found no record.
    case notFound(table: String, key: String)
    /// A close met a trade that is already closed.
    case tradeNotOpen(key: String)
    /// The file was written by a newer schema than this code knows.
    case schemaTooNew(environment: String, found: UInt32, supported: UInt32)
    /// No migration is registered from `fromVersion` to `fromVersion + 1`.
    case missingMigration(environment: String, fromVersion: UInt32)
    /// A migration step threw; its transaction was aborted, the file stays at `fromVersion`.
    case migrationFailed(environment: String, fromVersion: UInt32, message: String)
    /// A file-system call failed.
    case io(path: String, errno: Int32)

    public var description: String {
        switch self {
        case .lmdb(let e, let table): return table.isEmpty ? "\(e)" : "table \(table): \(e)"
        case .invalidRecord(let table, let field): return "table \(table): invalid record (\(field))"
        case .corruptRecord(let table, let key, let reason): return "table \(table), key \(key): \(reason)"
        case .duplicateKey(let table, let key): return "table \(table): key \(key) exists"
        case .notFound(let table, let key): return "table \(table): no record at key \(key)"
        case .tradeNotOpen(let key): return "trade \(key) is not open"
        case .schemaTooNew(let env, let found, let supported):
            return "\(env) environment has schema version \(found); this build supports up to \(supported)"
        case .missingMigration(let env, let from):
            return "\(env) environment: no migration from schema version \(from) to \(from + 1)"
        case .migrationFailed(let env, let from, let message):
            return "\(env) environment: migration from schema version \(from) failed: \(message)"
        case .io(let path, let errno): return "\(path): errno \(errno)"
        }
    }

    /// The LMDB or errno code behind the error (0 when there is none), for `StoreStatus`.
    public var code: Int32 {
        switch self {
        case .lmdb(let e, _): return e.code
        case .io(_, let errno): return errno
        default: return 0
        }
    }
}

/// A record stored with a fixed-size, versioned binary layout: byte 0 is the layout version,
/// then little-endian fixed fields (each type documents its offsets).
///
/// Decoding checks the version and the exact length first and reports the table and key of a
/// record that does not match (`StoreError.corruptRecord`), never traps.
public protocol StoreRecord {
    /// The table (named database) the record lives in.
    static var tableName: String { get }
    /// The layout version this code writes (and the only one it reads until a migration
    /// rewrites older records).
    static var layoutVersion: UInt8 { get }
    /// Encoded size, version byte included.
    static var encodedByteCount: Int { get }
    /// Writes every field after the version byte (the writer starts at offset 1).
    func encodeFields(into w: inout RecordWriter)
    /// The record's key in its table.
    var key: StoreKey { get }
    /// Key length in bytes (keys are fixed-size too).
    static var keyByteCount: Int { get }
    /// Reads every field after the version byte, and those kept only in the key (whose length
    /// was checked); throws naming a field whose value is impossible.
    static func decodeFields(from r: inout RecordReader, key: UnsafeRawBufferPointer) throws(RecordFieldError) -> Self
}

/// A field whose stored value is not one the type allows (e.g. side 7).
public struct RecordFieldError: Error, Equatable, Sendable {
    public var field: String
    public init(_ field: String) { self.field = field }
}

extension StoreRecord {
    /// Encodes version and fields into `buffer` (exactly `encodedByteCount` bytes).
    @inlinable
    public func encode(into buffer: UnsafeMutableRawBufferPointer) {
        var w = RecordWriter(buffer.baseAddress!)
        w.u8(Self.layoutVersion)
        encodeFields(into: &w)
        assert(w.offset == Self.encodedByteCount, "\(Self.self) layout size mismatch")
    }

    /// Decodes `bytes` stored at `key`, checking version and length.
    public static func decode(_ bytes: UnsafeRawBufferPointer, key: UnsafeRawBufferPointer) throws(StoreError) -> Self {
        guard key.count == keyByteCount else {
            throw .corruptRecord(table: tableName, key: StoreKey.hex(key),
                                 reason: "key length \(key.count), expected \(keyByteCount)")
        }
        guard bytes.count >= 1 else {
            throw .corruptRecord(table: tableName, key: StoreKey.hex(key), reason: "empty value")
        }
        let version = bytes[0]
        guard version == layoutVersion else {
            throw .corruptRecord(table: tableName, key: StoreKey.hex(key),
                                 reason: "unknown layout version \(version) (this build reads \(layoutVersion))")
        }
        guard bytes.count == encodedByteCount else {
            throw .corruptRecord(table: tableName, key: StoreKey.hex(key),
                                 reason: "length \(bytes.count), layout v\(version) is \(encodedByteCount) bytes")
        }
        var r = RecordReader(bytes, offset: 1)
        do {
            return try decodeFields(from: &r, key: key)
        } catch {
            throw .corruptRecord(table: tableName, key: StoreKey.hex(key), reason: "impossible value in \(error.field)")
        }
    }
}

/// Reads an enum stored as its raw byte, or fails naming the field.
@inlinable
public func decodeEnum<E: RawRepresentable>(_ raw: E.RawValue, _ field: String) throws(RecordFieldError) -> E {
    guard let e = E(rawValue: raw) else { throw RecordFieldError(field) }
    return e
}
