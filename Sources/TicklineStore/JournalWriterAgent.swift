import TicklineCore
import TicklineRing

#if canImport(Glibc)
import Glibc
#endif

/// A failing environment's retry schedule.
struct RetryState {
    var nextAttemptNs: UInt64 = 0
    var backoffNs: UInt64
    var failing = false
}

/// Tuning of `JournalWriterAgent`.
public struct JournalWriterOptions: Sendable {
    /// Records drained from all rings per duty cycle (shared evenly between the rings).
    public var maxRecordsPerCycle: Int
    /// Records each environment may hold uncommitted (the degraded-mode queue). When full, the
    /// writer stops draining and the journal rings absorb the rest (back-pressure).
    public var pendingCapacity: Int
    /// Largest group commit; a bigger backlog is committed in several transactions.
    public var maxRecordsPerTransaction: Int
    /// `mdb_env_sync` of the market environment (`MDB_NOSYNC`) at most this often, when dirty.
    public var marketSyncIntervalNs: UInt64
    /// `mdb_reader_check` of both environments this often.
    public var readerCheckIntervalNs: UInt64
    /// Backoff between retries of a failed commit: doubles from min to max.
    public var retryBackoffMinNs: UInt64
    public var retryBackoffMaxNs: UInt64
    /// The upper 32 bits of the low half of this process's `TradeID`s (random by default; see
    /// `TradeIDGenerator`).
    public var tradeIDProcessTag: UInt32
    /// Fault-injection point for crash tests: called on the writer's thread after each record of
    /// a journal transaction is applied, before the commit, with the record's index in the
    /// transaction (a test child stops here to be killed with a transaction half written). Nil —
    /// the default, and always outside tests — costs one branch per record.
    public var afterJournalRecordApplied: (@Sendable (_ indexInTransaction: Int) -> Void)?

    public init(maxRecordsPerCycle: Int = 4096, pendingCapacity: Int = 65_536, maxRecordsPerTransaction: Int = 8192,
                marketSyncIntervalNs: UInt64 = 100_000_000, readerCheckIntervalNs: UInt64 = 60_000_000_000,
                retryBackoffMinNs: UInt64 = 1_000_000, retryBackoffMaxNs: UInt64 = 1_000_000_000,
                tradeIDProcessTag: UInt32 = UInt32.random(in: 1...UInt32.max)) {
        self.maxRecordsPerCycle = max(1, maxRecordsPerCycle)
        self.pendingCapacity = max(1, pendingCapacity)
        self.maxRecordsPerTransaction = max(1, maxRecordsPerTransaction)
        self.marketSyncIntervalNs = marketSyncIntervalNs
        self.readerCheckIntervalNs = readerCheckIntervalNs
        self.retryBackoffMinNs = retryBackoffMinNs
        self.retryBackoffMaxNs = max(retryBackoffMinNs, retryBackoffMaxNs)
        self.tradeIDProcessTag = tradeIDProcessTag
    }
}

/// The store's one writer: drains the journal rings (one per producing stage) and commits what
/// each duty cycle found as one write transaction per environment (group commit).
///
/// | record | environment | table |
/// |---|---|---|
/// | `.order` | journal | `orders` (new row, or merged into one a report created first) |
/// | `.execution` | journal | `orders` (status merged), `fills` (when it carries a fill) |
/// | `.denied` | journal | `denials` |
/// | `.portfolioSnapshot` | journal | `snapshot_positions` |
/// | `.accountSnapshot` | journal | `snapshots` (`PortfolioSnapshot`) |
/// | `.tradeOpened` | journal | `trades` (validated insert; see `JournalWriterAgent+Trades`) |
/// | `.tradeClosed` | journal | `trades` (the same record closed in place) |
/// | `.candle` | market | `candles` (appended when in key order, else overwritten) |
/// | `.signal` | market | `signals` |
///
/// ## Failure handling (UC-SYSTEM-002)
/// Records leave a ring only into a pending batch, and leave the batch only when the
/// transaction holding them has committed. `MDB_MAP_FULL` grows the map and reruns the batch;
/// transient errors are retried up to 3 times at once (`LMDBEnvironment.update`, counted in
/// `stats.retries`). Any other failure (full disk, a map that
/// cannot grow, persistent I/O errors) keeps the batch, counts the error, moves the store to
/// `degraded` (published on `statusRing` so risk stops opening positions) and retries with
/// exponential backoff, while the batch keeps absorbing new records up to `pendingCapacity`;
/// past that the writer stops draining and the rings hold the rest. The first commit that
/// empties the batch publishes `recovered`. Order is kept per ring: a batch commits oldest
/// first. Across rings there is no order (each producer has its own), so the order row is
/// merged whichever of intent and report lands first.
///
/// ## Performance
/// No allocation after `init` on the healthy path: records are copied once into the
/// preallocated batch and encoded straight into LMDB pages (`MDB_RESERVE`). One `fsync` per
/// duty cycle for the journal environment, none for the market one (synced every
/// `marketSyncIntervalNs`). Never on the tick-to-order path: producers only push to rings.
public final class JournalWriterAgent: Agent {
    public let roleName = "store"
    public let store: TicklineStore
    public let options: JournalWriterOptions
    public let metrics = JournalWriterMetrics()
    /// Each commit's duration (the transaction and, for the journal, its fsync): the store
    /// commit latency the metrics export. Owned by the writer's thread.
    public let commitLatency = LatencyRecorder(name: "store_commit")

    let rings: [SPSCRingHandle<JournalRecord>]
    let statusRing: SPSCRingHandle<StoreStatus>?
    /// The store's log ring ("Trade {id} persisted to database"); a full ring drops the line.
    let logRing: SPSCRingHandle<LogRecord>?
    /// The current duty cycle's time, for log records.
    var cycleNowNs: UInt64 = 0
    let journalBatch: JournalBatch
    let marketBatch: JournalBatch
    let tables: StoreTables

    var state: StoreStatus.State = .healthy
    /// A status change not yet accepted by a full status ring.
    var unpublishedStatus: StoreStatus?
    /// Commit retry state per environment (0 journal, 1 market).
    var retry: [RetryState]
    var marketDirty = false
    var nextMarketSyncNs: UInt64 = 0
    var nextReaderCheckNs: UInt64 = 0
    var transactionLimit: Int
    /// Last sequence seen per producer (`StageID.rawValue`), for gap counting.
    var lastSequence = [UInt64](repeating: 0, count: 8)
    var seenProducer = [Bool](repeating: false, count: 8)
    /// The open trade of each position (risk's position id) journaled by this process. Cold
    /// path: trades open and close a few times a minute at most, so a dictionary is fine.
    var openTrades: [UInt64: TradeID] = [:]
    /// What the transaction being applied did to `openTrades` and the counters; folded in only
    /// once it has committed (an aborted or re-run transaction leaves no trace).
    var staged = StagedJournalChanges()
    let tradeIDs: TradeIDGenerator

    /// - Parameters:
    ///   - rings: the journal rings, drained in this order every cycle.
    ///   - statusRing: where state changes go (to risk); nil when nobody listens.
    ///   - logRing: where the writer's log lines go (the store stage's log ring); nil: none.
    public init(store: TicklineStore, rings: [SPSCRingHandle<JournalRecord>],
                statusRing: SPSCRingHandle<StoreStatus>? = nil, logRing: SPSCRingHandle<LogRecord>? = nil,
                options: JournalWriterOptions = JournalWriterOptions()) {
        self.store = store
        self.rings = rings
        self.statusRing = statusRing
        self.logRing = logRing
        self.options = options
        self.tables = store.tables
        journalBatch = JournalBatch(capacity: options.pendingCapacity)
        marketBatch = JournalBatch(capacity: options.pendingCapacity)
        retry = [RetryState(backoffNs: options.retryBackoffMinNs), RetryState(backoffNs: options.retryBackoffMinNs)]
        transactionLimit = options.maxRecordsPerTransaction
        tradeIDs = TradeIDGenerator(processTag: options.tradeIDProcessTag)
    }

    public convenience init(store: TicklineStore, rings: [SPSCRing<JournalRecord>],
                            statusRing: SPSCRing<StoreStatus>? = nil, logRing: SPSCRing<LogRecord>? = nil,
                            options: JournalWriterOptions = JournalWriterOptions()) {
        self.init(store: store, rings: rings.map(\.handle), statusRing: statusRing?.handle, logRing: logRing?.handle,
                  options: options)
    }

    public func onStart() throws {
        store.journal.readerCheck()
        store.market.readerCheck()
    }

    /// Commits what is pending (ignoring backoff) and syncs the market environment. Records
    /// that still cannot be committed stay counted in `pendingRecords`.
    public func onClose() {
        for i in retry.indices { retry[i].nextAttemptNs = 0 }
        _ = flush(nowNs: 0)
        if marketDirty, (try? store.market.sync()) != nil {
            marketDirty = false
            metrics.marketSyncs.add(1, ordering: .relaxed)
        }
    }

    public func doWork(nowNs: UInt64) throws -> Int {
        cycleNowNs = nowNs
        commitLatency.serviceSwap()
        var work = drainRings()
        if !journalBatch.isEmpty || !marketBatch.isEmpty {
            work &+= flush(nowNs: nowNs)
        }
        if marketDirty && nowNs >= nextMarketSyncNs {
            nextMarketSyncNs = nowNs &+ options.marketSyncIntervalNs
            if (try? store.market.sync()) != nil {
                marketDirty = false
                metrics.marketSyncs.add(1, ordering: .relaxed)
            }
        }
        if nowNs >= nextReaderCheckNs {
            nextReaderCheckNs = nowNs &+ options.readerCheckIntervalNs
            store.journal.readerCheck()
            store.market.readerCheck()
        }
        if let s = unpublishedStatus, let ring = statusRing, ring.tryPush(s) { unpublishedStatus = nil }
        return work
    }

    // MARK: Draining

    /// Copies records from the rings into the batches; stops a ring when its record's batch is full.
    func drainRings() -> Int {
        guard !rings.isEmpty else { return 0 }
        let perRing = max(1, options.maxRecordsPerCycle / rings.count)
        var drained = 0
        var full = false
        for ring in rings {
            drained &+= ring.drain(limit: perRing) { record in
                let batch = Self.isMarket(record.pointee.body) ? marketBatch : journalBatch
                guard batch.append(record) else {
                    full = true
                    return false
                }
                noteSequence(record.pointee)
                return true
            }
        }
        if full { metrics.pendingFullEvents.add(1, ordering: .relaxed) }
        if drained > 0 { notePending() }
        return drained
    }

    @inline(__always)
    static func isMarket(_ body: JournalRecord.Body) -> Bool {
        switch body {
        case .candle, .signal: return true
        case .order, .denied, .execution, .portfolioSnapshot, .accountSnapshot, .tradeOpened, .tradeClosed: return false
        }
    }

    func noteSequence(_ record: JournalRecord) {
        let p = Int(record.producer.rawValue)
        guard p < lastSequence.count else { return }
        if seenProducer[p], record.sequence != lastSequence[p] &+ 1 {
            let skipped = record.sequence > lastSequence[p] ? record.sequence &- lastSequence[p] &- 1 : 1
            metrics.sequenceGaps.add(Int(truncatingIfNeeded: skipped), ordering: .relaxed)
        }
        seenProducer[p] = true
        lastSequence[p] = record.sequence
    }

    func notePending() {
        let pending = journalBatch.count + marketBatch.count
        metrics.pendingRecords.store(pending, ordering: .relaxed)
        if pending > metrics.pendingHighWater.load(ordering: .relaxed) {
            metrics.pendingHighWater.store(pending, ordering: .relaxed)
        }
    }

    // MARK: Committing

    /// Commits each environment's batch unless it is waiting out a backoff; returns the
    /// records committed. Each environment backs off on its own, so a failing market
    /// environment never delays the journal's commits.
    func flush(nowNs: UInt64) -> Int {
        var committed = 0
        for kind in StoreEnvironmentKind.allCases {
            let i = kind == .journal ? 0 : 1
            let batch = kind == .journal ? journalBatch : marketBatch
            guard !batch.isEmpty, nowNs >= retry[i].nextAttemptNs else { continue }
            let (n, error) = commit(kind)
            committed &+= n
            if let error {
                metrics.errors.add(1, ordering: .relaxed)
                metrics.lastErrorCode.store(Int(error.code), ordering: .relaxed)
                retry[i].failing = true
                retry[i].nextAttemptNs = nowNs &+ retry[i].backoffNs
                retry[i].backoffNs = min(retry[i].backoffNs &* 2, options.retryBackoffMaxNs)
                if state != .degraded {
                    metrics.degradedEpisodes.add(1, ordering: .relaxed)
                    setState(.degraded, nowNs: nowNs, errorCode: error.code)
                }
            } else {
                retry[i] = RetryState(backoffNs: options.retryBackoffMinNs)
            }
        }
        notePending()
        if state == .degraded && !retry[0].failing && !retry[1].failing {
            metrics.recoveries.add(1, ordering: .relaxed)
            setState(.recovered, nowNs: nowNs, errorCode: 0)
            state = .healthy
            metrics.stateRaw.store(StoreStatus.State.healthy.rawValue, ordering: .relaxed)
        }
        return committed
    }

    /// Commits one environment's batch in transactions of at most `transactionLimit` records,
    /// oldest first, until it is empty or a commit fails.
    func commit(_ kind: StoreEnvironmentKind) -> (committed: Int, error: LMDBError?) {
        let batch = kind == .journal ? journalBatch : marketBatch
        let env = store.environment(kind)
        var committed = 0
        while !batch.isEmpty {
            let records = batch.first(transactionLimit)
            do {
                let started = Self.monotonicNs()
                let bytes = try env.update { txn in
                    kind == .journal ? try applyJournal(records, in: txn) : try applyMarket(records, in: txn)
                }
                commitLatency.record(Self.monotonicNs() &- started)
                batch.removeFirst(records.count)
                if kind == .journal { commitStaged() }
                committed &+= records.count
                metrics.commits.add(1, ordering: .relaxed)
                metrics.records.add(records.count, ordering: .relaxed)
                metrics.bytes.add(bytes, ordering: .relaxed)
                if kind == .market { marketDirty = true }
            } catch let e as LMDBError where e == .txnFull && records.count > 1 {
                // Too many dirty pages for one transaction: halve the batch and go on.
                transactionLimit = max(1, records.count / 2)
            } catch let e as LMDBError {
                return (committed, e)
            } catch {
                // applyJournal/applyMarket throw only LMDB errors; anything else is a bug.
                return (committed, .other(code: -1, message: "\(error)"))
            }
        }
        return (committed, nil)
    }

    static func monotonicNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    func setState(_ newState: StoreStatus.State, nowNs: UInt64, errorCode: Int32) {
        state = newState
        metrics.stateRaw.store(newState.rawValue, ordering: .relaxed)
        metrics.stateChangedNs.store(nowNs, ordering: .relaxed)
        let status = StoreStatus(state: newState, timeNs: nowNs,
                                 pendingRecords: UInt64(journalBatch.count + marketBatch.count), errorCode: errorCode)
        if let ring = statusRing, !ring.tryPush(status) {
            unpublishedStatus = status
        }
    }

    /// Writes journal-environment records; returns bytes written. Throws only `LMDBError`
    /// (the transaction then aborts and nothing of the batch is kept).
    func applyJournal(_ records: UnsafeBufferPointer<JournalRecord>, in txn: borrowing LMDBWriteTransaction) throws -> Int {
        var bytes = 0
        staged.reset()
        for (index, record) in records.enumerated() {
            defer { options.afterJournalRecordApplied?(index) }
            do {
                switch record.body {
                case .order(let intent):
                    bytes &+= try applyIntent(intent, in: txn)
                case .execution(let report):
                    bytes &+= try applyExecution(report, in: txn)
                case .denied(let denied):
                    bytes &+= try tables.denials.put(denied, in: txn)
                case .portfolioSnapshot(let position):
                    bytes &+= try tables.snapshotPositions.put(position, in: txn)
                    staged.snapshotPositions &+= 1
                case .accountSnapshot(let snapshot):
                    bytes &+= try tables.snapshots.put(PortfolioSnapshot(snapshot), in: txn)
                    staged.snapshots &+= 1
                case .tradeOpened(let opened):
                    bytes &+= try applyTradeOpened(opened, in: txn)
                case .tradeClosed(let closed):
                    bytes &+= try applyTradeClosed(closed, in: txn)
                case .candle, .signal:
                    preconditionFailure("market record in the journal batch")
                }
            } catch .lmdb(let e, _) {
                throw e
            } catch {
                // A record that cannot apply (corrupt stored row, an invalid trade): skipped and
                // counted; the stored data is left as it is.
                metrics.rejectedRecords.add(1, ordering: .relaxed)
                switch record.body {
                case .tradeOpened, .tradeClosed: metrics.tradesRejected.add(1, ordering: .relaxed)
                default: break
                }
            }
        }
        return bytes
    }

    func applyIntent(_ intent: OrderIntent, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> Int {
        var order = OrderRecord(intent)
        if var existing = try tables.orders.get(OrderRecord.key(clientOrderID: intent.clientOrderID), in: txn),
           existing.status != nil {
            existing.merge(intent)
            order = existing
        }
        return try tables.orders.put(order, in: txn)
    }

    func applyExecution(_ report: ExecutionReport, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> Int {
        var bytes = 0
        if let fill = FillRecord(report) {
            bytes &+= try tables.fills.put(fill, in: txn)
        }
        var order: OrderRecord
        if let existing = try tables.orders.get(OrderRecord.key(clientOrderID: report.clientOrderID), in: txn) {
            order = existing
            order.apply(report)
        } else {
            order = OrderRecord(report: report)
        }
        bytes &+= try tables.orders.put(order, in: txn)
        return bytes
    }

    /// Writes market-environment records; returns bytes written.
    func applyMarket(_ records: UnsafeBufferPointer<JournalRecord>, in txn: borrowing LMDBWriteTransaction) throws -> Int {
        var bytes = 0
        // The table's last key, read once per transaction: a candle sorting after it is appended.
        var lastCandleKey: StoreKey?
        var lastCandleKnown = false
        for record in records {
            do {
                switch record.body {
                case .candle(let symbol, let kline):
                    let candle = CandleRecord(symbol: symbol, kline: kline)
                    let key = candle.key
                    if !lastCandleKnown {
                        lastCandleKey = try lastKey(tables.candles.db, in: txn)
                        lastCandleKnown = true
                    }
                    if lastCandleKey.map({ $0 < key }) ?? true {
                        do {
                            bytes &+= try tables.candles.put(candle, in: txn, flags: .append)
                            metrics.candleAppends.add(1, ordering: .relaxed)
                        } catch .duplicateKey {
                            bytes &+= try tables.candles.put(candle, in: txn)
                        }
                        lastCandleKey = key
                    } else {
                        bytes &+= try tables.candles.put(candle, in: txn)  // older series or a correction
                    }
                case .signal(let signal):
                    bytes &+= try tables.signals.put(signal, in: txn)
                case .order, .denied, .execution, .portfolioSnapshot, .accountSnapshot, .tradeOpened, .tradeClosed:
                    preconditionFailure("journal record in the market batch")
                }
            } catch .lmdb(let e, _) {
                throw e
            } catch {
                metrics.rejectedRecords.add(1, ordering: .relaxed)
            }
        }
        return bytes
    }

    func lastKey(_ db: LMDBDatabase, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> StoreKey? {
        do {
            return try txn.withCursor(db) { cursor in
                try cursor.last() && cursor.key.count <= StoreKey.capacity ? StoreKey(bytes: cursor.key) : nil
            }
        } catch let e as LMDBError {
            throw .lmdb(e, table: "")
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    // MARK: Observation (any thread)

    /// The counters now.
    public var stats: JournalWriterStats {
        let m = metrics
        return JournalWriterStats(
            commits: m.commits.load(ordering: .relaxed), records: m.records.load(ordering: .relaxed),
            bytes: m.bytes.load(ordering: .relaxed),
            retries: store.journal.transientRetries + store.market.transientRetries,
            errors: m.errors.load(ordering: .relaxed),
            lastErrorCode: Int32(truncatingIfNeeded: m.lastErrorCode.load(ordering: .relaxed)),
            pendingRecords: m.pendingRecords.load(ordering: .relaxed),
            pendingHighWater: m.pendingHighWater.load(ordering: .relaxed),
            pendingFullEvents: m.pendingFullEvents.load(ordering: .relaxed),
            sequenceGaps: m.sequenceGaps.load(ordering: .relaxed), rejectedRecords: m.rejectedRecords.load(ordering: .relaxed),
            candleAppends: m.candleAppends.load(ordering: .relaxed), marketSyncs: m.marketSyncs.load(ordering: .relaxed),
            mapGrowths: store.journal.growths + store.market.growths,
            staleReadersCleared: store.journal.staleReadersCleared + store.market.staleReadersCleared,
            degradedEpisodes: m.degradedEpisodes.load(ordering: .relaxed), recoveries: m.recoveries.load(ordering: .relaxed),
            state: StoreStatus.State(rawValue: m.stateRaw.load(ordering: .relaxed)) ?? .healthy,
            tradesOpened: m.tradesOpened.load(ordering: .relaxed), tradesResumed: m.tradesResumed.load(ordering: .relaxed),
            tradesClosed: m.tradesClosed.load(ordering: .relaxed), tradesRejected: m.tradesRejected.load(ordering: .relaxed),
            snapshots: m.snapshots.load(ordering: .relaxed), snapshotPositions: m.snapshotPositions.load(ordering: .relaxed))
    }

    /// The store's state as risk sees it (`StoreStatus`), readable from any thread.
    public var status: StoreStatus {
        let m = metrics
        return StoreStatus(state: StoreStatus.State(rawValue: m.stateRaw.load(ordering: .relaxed)) ?? .healthy,
                           timeNs: m.stateChangedNs.load(ordering: .relaxed),
                           pendingRecords: UInt64(m.pendingRecords.load(ordering: .relaxed)),
                           errorCode: Int32(truncatingIfNeeded: m.lastErrorCode.load(ordering: .relaxed)))
    }
}
