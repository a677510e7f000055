import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

/// How long the store keeps time-series records; older ones are exported (archived), then
/// deleted by `TicklineStore.applyRetention`. Trades, orders, fills and denials are the trading
/// record and are never deleted.
///
/// A number of days ≤ 0 keeps that table forever.
public struct RetentionPolicy: Sendable, Equatable {
    /// Portfolio snapshots and their position rows (`snapshot_positions`): 365 days. One every
    /// 15 minutes is ~35 000 rows per account a year; the equity curve of the last year stays
    /// queryable, older ones live in the archive.
    public var snapshotsDays: Int
    /// Closed candles: 365 days. A 1m series is 525 600 rows (~50 MB) a year; warm-ups need
    /// hours to days, and backtests over longer spans read the archive or the venue's history.
    public var candlesDays: Int
    /// Signals: 90 days, enough to review recent strategy behaviour; a trade keeps the id of
    /// the signal that opened it.
    public var signalsDays: Int
    /// Records deleted per write transaction (at least 1). Each batch is exported, then deleted
    /// in its own short transaction, so the journal writer agent never waits for more than one
    /// batch's deletes (~1 000 b-tree deletes: a millisecond or two).
    public var batchSize: Int

    public init(snapshotsDays: Int = 365, candlesDays: Int = 365, signalsDays: Int = 90, batchSize: Int = 1_000) {
        self.snapshotsDays = snapshotsDays
        self.candlesDays = candlesDays
        self.signalsDays = signalsDays
        self.batchSize = max(1, batchSize)
    }

    /// The oldest time kept when it is `nowMs`: records strictly older go. Nil: keep forever.
    public static func cutoffMs(nowMs: Int64, days: Int) -> Int64? {
        guard days > 0 else { return nil }
        let (span, overflow) = Int64(days).multipliedReportingOverflow(by: 86_400_000)
        if overflow { return nil }
        let (cutoff, under) = nowMs.subtractingReportingOverflow(span)
        return under ? nil : cutoff
    }
}

/// Records about to be deleted, handed to the export sink first (at most `batchSize` of them,
/// in key order).
public enum RetentionBatch: Sendable, Equatable {
    case snapshots([PortfolioSnapshot])
    case snapshotPositions([PositionUpdate])
    case candles([CandleRecord])
    case signals([Signal])

    public var table: StoreExportTable {
        switch self {
        case .snapshots: return .snapshots
        case .snapshotPositions: return .snapshotPositions
        case .candles: return .candles
        case .signals: return .signals
        }
    }

    public var count: Int {
        switch self {
        case .snapshots(let r): return r.count
        case .snapshotPositions(let r): return r.count
        case .candles(let r): return r.count
        case .signals(let r): return r.count
        }
    }

    /// The records as JSON lines, exactly as `tickline export --format jsonl` writes them.
    public func jsonLines(symbols: SymbolTable) -> String {
        switch self {
        case .snapshots(let r): return StoreExport.lines(r, format: .jsonl, symbols: symbols)
        case .snapshotPositions(let r): return StoreExport.lines(r, format: .jsonl, symbols: symbols)
        case .candles(let r): return StoreExport.lines(r, format: .jsonl, symbols: symbols)
        case .signals(let r): return StoreExport.lines(r, format: .jsonl, symbols: symbols)
        }
    }
}

/// What one retention run did.
public struct RetentionResult: Sendable, Equatable {
    public var snapshots = 0
    public var snapshotPositions = 0
    public var candles = 0
    public var signals = 0
    /// Write transactions that deleted records, and the most records one of them deleted.
    public var batches = 0
    public var largestBatch = 0
    /// Records past the cutoff that do not decode: neither exported nor deleted (an operator
    /// should look), named by table and key.
    public var corrupt: [StoreError] = []
    /// Records exported but found changed (rewritten by the engine) or gone by the time their
    /// batch was deleted: kept; the next run exports them again.
    public var skipped = 0

    public init() {}

    public var deleted: Int { snapshots + snapshotPositions + candles + signals }
}

extension TicklineStore {
    /// Deletes snapshots (with their position rows), candles and signals older than `policy`'s
    /// cutoffs (relative to `nowMs`), each batch handed to `export` before it is deleted: the
    /// archive sees every record before it is gone.
    ///
    /// Per table, in key order: read up to `batchSize` old records (one read transaction), call
    /// `export`, then delete exactly those records in one write transaction — skipping any that
    /// changed since they were read. So the writer is held for one batch of deletes at a time,
    /// and never during the export's file I/O. The journal writer agent may run meanwhile (the
    /// environment's writer lock serialises the two).
    ///
    /// If `export` throws, the run stops with that error: its batch is not deleted; earlier
    /// batches were exported and deleted. A crash between an export and its delete exports that
    /// batch again on the next run (at-least-once: the archive may repeat rows, it never
    /// misses one). Candles and signals are in the `MDB_NOSYNC` market environment, so their
    /// deletes are durable at the writer's next sync.
    ///
    /// Not on the data plane: run it once a day from the control plane (any thread).
    @discardableResult
    public func applyRetention(nowMs: Int64, policy: RetentionPolicy = RetentionPolicy(),
                               export: (RetentionBatch) throws -> Void) throws -> RetentionResult {
        var result = RetentionResult()
        let t = tables
        if let cutoff = RetentionPolicy.cutoffMs(nowMs: nowMs, days: policy.snapshotsDays) {
            result.snapshots = try retain(t.snapshots, in: journal, prefixBytes: 2, cutoffMs: cutoff, policy.batchSize,
                                          &result, export) { .snapshots($0) }
            result.snapshotPositions = try retain(t.snapshotPositions, in: journal, prefixBytes: 2, cutoffMs: cutoff,
                                                  policy.batchSize, &result, export) { .snapshotPositions($0) }
        }
        if let cutoff = RetentionPolicy.cutoffMs(nowMs: nowMs, days: policy.candlesDays) {
            result.candles = try retain(t.candles, in: market, prefixBytes: 3, cutoffMs: cutoff, policy.batchSize,
                                        &result, export) { .candles($0) }
        }
        if let cutoff = RetentionPolicy.cutoffMs(nowMs: nowMs, days: policy.signalsDays) {
            result.signals = try retain(t.signals, in: market, prefixBytes: 2, cutoffMs: cutoff, policy.batchSize,
                                        &result, export) { .signals($0) }
        }
        return result
    }

    /// One table: records of every series with time < `cutoffMs`, a batch at a time. Returns
    /// how many were deleted.
    private func retain<R: StoreExportRecord & Equatable>(
        _ table: StoreTable<R>, in env: LMDBEnvironment, prefixBytes: Int, cutoffMs: Int64, _ batchSize: Int,
        _ result: inout RetentionResult, _ export: (RetentionBatch) throws -> Void, _ wrap: ([R]) -> RetentionBatch
    ) throws -> Int {
        let walker = StoreRecordWalker(environment: env, db: table.db, chunkEntries: max(1, batchSize),
                                       adoptsForeignGrowth: false)
        var batch: [R] = []
        batch.reserveCapacity(max(1, batchSize))
        var corrupt: [StoreError] = []
        var deleted = 0, batches = 0, largest = 0, skipped = 0
        func deleteBatch() throws {
            guard !batch.isEmpty else { return }
            try export(wrap(batch))
            let (gone, kept) = try storeUpdate(env) { txn in
                var gone = 0, kept = 0
                for r in batch {
                    let key = r.key
                    let current: R?
                    do throws(StoreError) {
                        current = try table.get(key, in: txn)
                    } catch .corruptRecord {
                        current = nil
                    }
                    guard current == r else {
                        kept += 1
                        continue
                    }
                    try table.delete(key, in: txn)
                    gone += 1
                }
                return (gone, kept)
            }
            deleted += gone
            skipped += kept
            if gone > 0 { batches += 1 }
            largest = max(largest, gone)
            batch.removeAll(keepingCapacity: true)
        }
        try walker.walk(R.self, plan: .series(prefixBytes: prefixBytes, filter: nil),
                        range: StoreTimeRange(fromMs: .min, toMs: cutoffMs),
                        onCorrupt: { corrupt.append($0) }, afterChunk: deleteBatch) { batch.append($0) }
        result.corrupt += corrupt
        result.batches += batches
        result.largestBatch = max(result.largestBatch, largest)
        result.skipped += skipped
        return deleted
    }
}

/// The default retention sink: appends each batch as JSON lines to
/// `<store directory>/archive/<table>-<date>.jsonl`, `<date>` being the UTC date of the run
/// (`nowMs`), and makes the file durable (`fsync`) before returning, so the batch is on disk
/// before the store deletes it.
///
///     let archive = RetentionArchive(storeDirectory: store.directory, nowMs: now, symbols: symbols)
///     try store.applyRetention(nowMs: now, policy: RetentionPolicy(), export: archive.write)
///
/// Rows are those of `tickline export --format jsonl`; `symbols` (ids in `[venue] symbols`
/// order, with their scales) formats prices and quantities (without it they are raw integers).
public final class RetentionArchive: @unchecked Sendable {
    /// `<store directory>/archive`.
    public let directory: String
    /// The UTC date in the file names, "2026-01-02".
    public let date: String
    public let symbols: SymbolTable

    public init(storeDirectory: String, nowMs: Int64, symbols: SymbolTable = SymbolTable()) {
        directory = storeDirectory + "/archive"
        date = StoreExportTime.date(ms: nowMs)
        self.symbols = symbols
    }

    public func path(for table: StoreExportTable) -> String {
        directory + "/" + table.rawValue + "-" + date + ".jsonl"
    }

    /// Appends `batch` to its table's file and syncs it.
    public func write(_ batch: RetentionBatch) throws(StoreError) {
        if mkdir(directory, 0o750) != 0, errno != EEXIST { throw .io(path: directory, errno: errno) }
        let path = path(for: batch.table)
        var created = true
        var fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o640)
        if fd < 0, errno == EEXIST {
            created = false
            fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC)
        }
        if fd < 0 { throw .io(path: path, errno: errno) }
        defer { close(fd) }
        var text = batch.jsonLines(symbols: symbols)
        let failure: Int32 = text.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                offset += n
            }
            return 0
        }
        if failure != 0 { throw .io(path: path, errno: failure) }
        if fsync(fd) != 0 { throw .io(path: path, errno: errno) }
        if created {
            // A new file's directory entry must be durable too.
            let dfd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if dfd >= 0 {
                _ = fsync(dfd)
                close(dfd)
            }
        }
    }
}
