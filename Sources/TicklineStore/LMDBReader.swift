import CLMDB
import Synchronization

/// A read transaction kept for reuse: begun once (`mdb_txn_begin(MDB_RDONLY)`), then
/// `mdb_txn_renew` before each read and `mdb_txn_reset` after it, so reads allocate nothing
/// and keep their reader slot (lmdb.h, `mdb_txn_reset`: "allows [the handle] to be reused
/// without allocation").
///
/// Each `read` sees the latest committed snapshot as of its start; between reads the
/// transaction is reset and pins no old pages, so an idle reader does not make the file grow.
///
/// ## Lifetime and threads
/// One reader is used by one thread at a time (any thread: the environment uses `MDB_NOTLS`).
/// It holds one of the environment's `maxReaders` slots from its first read until `close()`
/// or `deinit`, and keeps its environment alive. Every read passes the environment's
/// `readerGate`, which the writer closes while it grows the map.
public final class LMDBReader: @unchecked Sendable {
    public let environment: LMDBEnvironment
    /// The reset transaction between reads; nil before the first read and after `close()`.
    private var txn: OpaquePointer?
    private var reading = false
    /// `mdb_txn_begin` calls: 1 for a healthy reader however many reads it served.
    public private(set) var begins = 0
    /// `mdb_txn_renew` calls.
    public private(set) var renewals = 0

    init(environment: LMDBEnvironment) {
        self.environment = environment
    }

    deinit {
        if let txn { mdb_txn_abort(txn) }
    }

    /// Runs `body` in a read transaction. The transaction and every buffer obtained from it are
    /// valid only inside `body`. Keep `body` short (it holds the gate that map growth waits for):
    /// scan a large range in chunks of reads. Not reentrant.
    public func read<R>(_ body: (borrowing LMDBReadTransaction) throws -> R) throws -> R {
        precondition(!reading, "LMDBReader.read is not reentrant")
        environment.readerGate.enter()
        reading = true
        defer {
            reading = false
            environment.readerGate.leave()
        }
        let active = try activate()
        defer { mdb_txn_reset(active) }
        return try body(LMDBReadTransaction(txn: active))
    }

    /// Releases the reader slot; the next `read` begins a new transaction.
    public func close() {
        if let txn { mdb_txn_abort(txn) }
        txn = nil
    }

    private func activate() throws(LMDBError) -> OpaquePointer {
        if let txn {
            // `.mapResized` (another process grew the map) is thrown: adopting the size needs no
            // transaction open in this process, which only the writer can arrange (beginWrite
            // does); the caller retries later.
            try lmdbCheck(mdb_txn_renew(txn))
            renewals += 1
            return txn
        }
        var fresh: OpaquePointer?
        try lmdbCheck(mdb_txn_begin(environment.handle, nil, UInt32(MDB_RDONLY), &fresh))
        begins += 1
        txn = fresh
        return fresh!
    }
}
