import CLMDB

/// An LMDB (or errno) return code as a small enum: the codes the store acts on get a case, the
/// rest keep their number and `mdb_strerror` text.
///
/// LMDB returns `MDB_*` codes (negative, -30799…-30780) and plain errno values (`ENOSPC`, `EIO`,
/// `ENOMEM`, `EACCES`…) from the same functions (lmdb.h, "Return Codes").
public enum LMDBError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `MDB_MAP_FULL`: the environment's map size is reached. The transaction is unusable: abort,
    /// grow the map (`LMDBEnvironment.growMap`), run the batch again.
    case mapFull
    /// `MDB_NOTFOUND`: no such key (or the cursor ran off the end). Read helpers turn it into `nil`.
    case notFound
    /// `MDB_KEYEXIST`: a put with `MDB_NOOVERWRITE` met an existing key, or an `MDB_APPEND` key
    /// was not greater than the last one.
    case keyExists
    /// `MDB_READERS_FULL`: every reader slot (`maxReaders`) is taken; `readerCheck()` may free
    /// slots of dead processes.
    case readersFull
    /// `MDB_TXN_FULL`: the write transaction has too many dirty pages; commit smaller batches.
    case txnFull
    /// `MDB_MAP_RESIZED`: another process grew the map; `mdb_env_set_mapsize(env, 0)` adopts it.
    case mapResized
    /// Anything else: the code and LMDB's text for it.
    case other(code: Int32, message: String)

    /// Maps a non-zero return code.
    @inline(never)
    public init(code: Int32) {
        switch code {
        case MDB_MAP_FULL: self = .mapFull
        case MDB_NOTFOUND: self = .notFound
        case MDB_KEYEXIST: self = .keyExists
        case MDB_READERS_FULL: self = .readersFull
        case MDB_TXN_FULL: self = .txnFull
        case MDB_MAP_RESIZED: self = .mapResized
        default: self = .other(code: code, message: String(cString: mdb_strerror(code)))
        }
    }

    /// The LMDB or errno code behind the error.
    public var code: Int32 {
        switch self {
        case .mapFull: return MDB_MAP_FULL
        case .notFound: return MDB_NOTFOUND
        case .keyExists: return MDB_KEYEXIST
        case .readersFull: return MDB_READERS_FULL
        case .txnFull: return MDB_TXN_FULL
        case .mapResized: return MDB_MAP_RESIZED
        case .other(let code, _): return code
        }
    }

    /// Worth trying again at once (up to the caller's retry budget): an interrupted or busy
    /// call, or an I/O error that may not repeat. A full disk (`ENOSPC`), a full map and
    /// corruption are not transient: they need growth, space or an operator.
    public var isTransient: Bool {
        switch code {
        case 4 /* EINTR */, 11 /* EAGAIN */, 16 /* EBUSY */, 5 /* EIO */: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .other(let code, let message): return "LMDB error \(code): \(message)"
        default: return "LMDB error \(code): \(String(cString: mdb_strerror(code)))"
        }
    }
}

/// Throws the mapped error for a non-zero LMDB return code (the mapping is out of line: the
/// success path is one compare).
@inlinable @inline(__always)
func lmdbCheck(_ rc: Int32) throws(LMDBError) {
    if rc != 0 { throw LMDBError(code: rc) }
}
