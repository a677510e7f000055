import TicklineCore

/// What one journal transaction did to the writer's trade map and counters, applied only once
/// it has committed.
struct StagedJournalChanges {
    enum TradeChange {
        /// A trade record inserted (`resumed` false) or an adopted position matched to a stored
        /// open trade (`resumed` true).
        case opened(positionID: UInt64, id: TradeID, resumed: Bool)
        case closed(positionID: UInt64)
    }

    var trades: [TradeChange] = []
    var snapshots = 0
    var snapshotPositions = 0

    mutating func reset() {
        if !trades.isEmpty { trades.removeAll(keepingCapacity: true) }
        snapshots = 0
        snapshotPositions = 0
    }
}

extension PortfolioSnapshot {
    /// The stored form of risk's account snapshot (amounts as they are: 8 decimal places).
    public init(_ s: AccountSnapshot) {
        self.init(account: s.account, timeMs: s.timeMs, totalEquity: s.equity, cashBalance: s.cashBalance,
                  marginUsed: s.marginUsed, freeMargin: s.freeMargin, unrealizedPnL: s.unrealizedPnL,
                  positionCount: UInt32(s.positionCount))
    }
}

/// Trades (`trades` table): risk's `TradeOpened` / `TradeClosed` become one `TradeRecord`.
///
/// - **Open**: the record is built from the message and validated (`validateForOpen`: id, entry
///   time, quantity, entry price…) before the insert (`noOverwrite`); an invalid or duplicate one
///   is refused and counted (`tradesRejected`), the rest of the batch commits. Its id is
///   `TradeIDGenerator.id(entryTimeMs:sequence:)` with risk's position id as the sequence: entry
///   time in the high half, this process's random tag and the position id in the low half.
/// - An **adopted** position (taken over from the venue at start-up, so after a restart) first
///   looks for an open trade of the same account, symbol and side already stored — the trade the
///   previous run opened — and resumes it ("synced": no new record, `tradesResumed`), taking the
///   exchange's quantity and average entry when they differ; only without one is a record
///   inserted (entry client order id 0 marks it adopted).
/// - **Close**: the record is found through the position id → `TradeID` map of this process, or,
///   failing that (a position the map does not know), by a scan for the open trade of the same
///   account, symbol and side. Exit price and time, realized PnL, fees, the total quantity and
///   average entry, status closed and the reason are written as one `put` in the batch's
///   transaction: all or nothing, with the rest of the batch. For an adopted position risk's
///   books start at the take-over, so the fees stored at the open are added to its fees and
///   taken from its PnL.
/// - Transient LMDB errors are retried up to 3 times by `LMDBEnvironment.update`; a failure after
///   that keeps the whole batch queued (see the type's failure handling), and the map changes of
///   a transaction that did not commit are dropped with it (`StagedJournalChanges`).
/// - Each committed insert is logged "Trade {id} persisted to database" (debug, on the store's
///   log ring when one is given) and counted (`stats.tradesOpened`; `tradeID(forPosition:)` gives
///   the id).
///
/// Cold path: a trade record costs a dictionary operation and, only for adoptions and unknown
/// positions, a scan of the `trades` table.
extension JournalWriterAgent {
    /// The open trade this writer recorded for risk's `positionID` (committed state). Call it on
    /// the writer's thread, or when the writer is not running (tests).
    public func tradeID(forPosition positionID: UInt64) -> TradeID? { openTrades[positionID] }

    func applyTradeOpened(_ o: TradeOpened, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> Int {
        if o.adopted, let existing = try findOpenTrade(account: o.account, symbol: o.symbol, side: o.side, in: txn) {
            staged.trades.append(.opened(positionID: o.positionID, id: existing, resumed: true))
            // The exchange's position is the source of truth: a run killed between an entry's
            // partial fills journaled fewer than it holds.
            guard var stored = try tables.trades.get(existing.key, in: txn),
                  stored.quantity != o.quantity || stored.entryPrice != o.entryPrice
            else { return 0 }
            stored.quantity = o.quantity
            stored.entryPrice = o.entryPrice
            return try tables.trades.put(stored, in: txn)
        }
        let trade = TradeRecord(
            id: tradeIDs.id(entryTimeMs: o.entryTimeMs, sequence: o.positionID), account: o.account, symbol: o.symbol,
            side: o.side, entryTimeMs: o.entryTimeMs, quantity: o.quantity, entryPrice: o.entryPrice,
            stopLoss: o.stopLoss, takeProfit: o.takeProfit, fees: o.fees, signalID: o.signalID,
            entryClientOrderID: o.adopted ? 0 : o.entryClientOrderID)
        if let field = trade.validateForOpen() { throw .invalidRecord(table: TradeRecord.tableName, field: field) }
        let bytes = try tables.trades.put(trade, in: txn, flags: .noOverwrite)
        staged.trades.append(.opened(positionID: o.positionID, id: trade.id, resumed: false))
        return bytes
    }

    func applyTradeClosed(_ c: TradeClosed, in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> Int {
        // The map, else the stored open trade this position opened (same entry time), or for an
        // adopted position any open trade of its account, symbol and side.
        var known = stagedOrCommittedTrade(c.positionID)
        if known == nil {
            known = try findOpenTrade(account: c.account, symbol: c.symbol, side: c.side,
                                      entryTimeMs: c.adopted ? nil : c.entryTimeMs, in: txn)
        }
        guard let id = known else {
            throw .notFound(table: TradeRecord.tableName, key: "open trade of position \(c.positionID)")
        }
        guard let stored = try tables.trades.get(id.key, in: txn) else {
            throw .notFound(table: TradeRecord.tableName, key: id.description)
        }
        var fees = c.fees
        var pnl = c.realizedPnL
        if c.adopted {
            fees = Price(raw: stored.fees.raw &+ c.fees.raw)
            pnl = Price(raw: c.realizedPnL.raw &- stored.fees.raw)
        }
        let close = TradeClose(id: id, exitTimeMs: c.exitTimeMs, exitPrice: c.exitPrice, realizedPnL: pnl,
                               reason: c.reason, exitClientOrderID: c.exitClientOrderID, quantity: c.quantity,
                               entryPrice: c.entryPrice, totalFees: fees)
        _ = try TicklineStore.applyClose(close, trades: tables.trades, in: txn)
        staged.trades.append(.closed(positionID: c.positionID))
        return TradeRecord.keyByteCount + TradeRecord.encodedByteCount
    }

    /// The position's trade as the transaction being applied sees it: its own changes first.
    func stagedOrCommittedTrade(_ positionID: UInt64) -> TradeID? {
        for change in staged.trades.reversed() {
            switch change {
            case .opened(let p, let id, _) where p == positionID: return id
            case .closed(let p) where p == positionID: return nil
            default: continue
            }
        }
        return openTrades[positionID]
    }

    /// The latest stored open trade of (account, symbol, side) — entered at `entryTimeMs` when
    /// given — that no other position of this process holds (a scan of `trades`: restarts and
    /// unknown positions only).
    func findOpenTrade(account: AccountID, symbol: SymbolID, side: Side, entryTimeMs: Int64? = nil,
                       in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> TradeID? {
        var held = Set(openTrades.values)
        for change in staged.trades {
            switch change {
            case .opened(_, let id, _): held.insert(id)
            case .closed: break
            }
        }
        var found: TradeID?
        do {
            try tables.trades.scan(in: txn) { t in
                if t.status == .open && t.account == account && t.symbol == symbol && t.side == side
                    && (entryTimeMs == nil || t.entryTimeMs == entryTimeMs) && !held.contains(t.id) {
                    found = t.id  // key order is entry-time order: the last match is the latest
                }
                return true
            }
        } catch let e as StoreError {
            throw e
        } catch {
            throw .corruptRecord(table: TradeRecord.tableName, key: "", reason: "\(error)")
        }
        return found
    }

    /// "Trade {id} persisted to database" (debug) on the store's log ring, once the insert has
    /// committed.
    func logPersisted(_ id: TradeID) {
        guard let ring = logRing, let slot = ring.tryClaim() else { return }
        var r = LogRecord(code: .tradePersisted, level: .debug, stage: .store, timeNs: cycleNowNs)
        r.append(Int64(bitPattern: id.high), places: LogRecord.hexPlaces)
        r.append(Int64(bitPattern: id.low), places: LogRecord.hexPlaces)
        slot.initialize(to: r)
        ring.publish()
    }

    /// Folds the committed transaction's changes into the map and the counters.
    func commitStaged() {
        for change in staged.trades {
            switch change {
            case .opened(let positionID, let id, let resumed):
                openTrades[positionID] = id
                if resumed {
                    metrics.tradesResumed.add(1, ordering: .relaxed)
                } else {
                    metrics.tradesOpened.add(1, ordering: .relaxed)
                    logPersisted(id)
                }
            case .closed(let positionID):
                openTrades[positionID] = nil
                metrics.tradesClosed.add(1, ordering: .relaxed)
            }
        }
        if staged.snapshots > 0 { metrics.snapshots.add(staged.snapshots, ordering: .relaxed) }
        if staged.snapshotPositions > 0 { metrics.snapshotPositions.add(staged.snapshotPositions, ordering: .relaxed) }
        staged.reset()
    }
}
