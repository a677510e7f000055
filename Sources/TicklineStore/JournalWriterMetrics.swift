import Synchronization
import TicklineCore

/// The writer agent's counters, written by its thread (relaxed, once per commit or event) and
/// read from any thread (metrics, health, tests).
public final class JournalWriterMetrics: Sendable {
    let commits = Atomic<Int>(0)
    let records = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    let errors = Atomic<Int>(0)
    let lastErrorCode = Atomic<Int>(0)
    let pendingRecords = Atomic<Int>(0)
    let pendingHighWater = Atomic<Int>(0)
    let pendingFullEvents = Atomic<Int>(0)
    let sequenceGaps = Atomic<Int>(0)
    let rejectedRecords = Atomic<Int>(0)
    let candleAppends = Atomic<Int>(0)
    let marketSyncs = Atomic<Int>(0)
    let degradedEpisodes = Atomic<Int>(0)
    let recoveries = Atomic<Int>(0)
    let stateRaw = Atomic<UInt8>(StoreStatus.State.healthy.rawValue)
    let stateChangedNs = Atomic<UInt64>(0)
    let tradesOpened = Atomic<Int>(0)
    let tradesResumed = Atomic<Int>(0)
    let tradesClosed = Atomic<Int>(0)
    let tradesRejected = Atomic<Int>(0)
    let snapshots = Atomic<Int>(0)
    let snapshotPositions = Atomic<Int>(0)

    init() {}
}

/// One reading of the writer's counters and its environments' (see `JournalWriterAgent.stats`).
public struct JournalWriterStats: Sendable, Equatable {
    /// Write transactions committed (both environments).
    public var commits: Int
    /// Records committed.
    public var records: Int
    /// Key + value bytes written.
    public var bytes: Int
    /// Transient errors retried inside a commit attempt (both environments).
    public var retries: Int
    /// Commit attempts that failed after their retries (each one counted once).
    public var errors: Int
    /// The code of the last failure (LMDB or errno), 0 if none yet.
    public var lastErrorCode: Int32
    /// Records drained from the rings and not yet committed.
    public var pendingRecords: Int
    public var pendingHighWater: Int
    /// Duty cycles that found the pending queue full (the rings then hold the rest).
    public var pendingFullEvents: Int
    /// Journal sequence numbers skipped by a producer (its ring overflowed upstream).
    public var sequenceGaps: Int
    /// Records that could not be applied and were skipped, counted (e.g. an execution whose
    /// stored order row is corrupt: the row is left untouched).
    public var rejectedRecords: Int
    public var candleAppends: Int
    public var marketSyncs: Int
    public var mapGrowths: Int
    public var staleReadersCleared: Int
    public var degradedEpisodes: Int
    public var recoveries: Int
    public var state: StoreStatus.State
    /// Trade records inserted (committed) from `.tradeOpened` — each one "Trade {id} persisted to
    /// database": the store module has no logger, so the debug line is this counter.
    public var tradesOpened: Int
    /// Adopted positions matched to an open trade already stored (a restart): no new record.
    public var tradesResumed: Int
    /// Trade records closed (committed) from `.tradeClosed`.
    public var tradesClosed: Int
    /// Trade records refused (invalid fields, duplicate id, no open trade to close); also counted
    /// in `rejectedRecords`.
    public var tradesRejected: Int
    /// `snapshots` and `snapshot_positions` rows committed.
    public var snapshots: Int
    public var snapshotPositions: Int
}
