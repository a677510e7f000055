import TicklineCore

/// What start-up reconciliation writes to the journal: the fills the venue has and the journal
/// lacks, and the closes (reason `.reconciled`) of open trades whose position the venue no
/// longer holds.
public struct ReconciliationWrite: Sendable, Equatable {
    /// Inserted only where the (account, symbol, trade id) key is absent; present ones are left
    /// as they are (the journal's own record of a fill wins: it carries the client order id).
    public var fills: [FillRecord]
    public var closes: [TradeClose]

    public init(fills: [FillRecord] = [], closes: [TradeClose] = []) {
        self.fills = fills
        self.closes = closes
    }
}

/// What `TicklineStore.applyReconciliation` changed.
public struct ReconciliationWriteResult: Sendable, Equatable {
    public var fillsInserted = 0
    /// Fills already journaled (skipped).
    public var fillsPresent = 0
    /// The closed trades, as stored.
    public var tradesClosed: [TradeRecord] = []
}

/// Start-up reconciliation's readers and its one writer (cold path: before the journal writer
/// agent runs, so direct transactions are safe — LMDB allows one writer at a time anyway).
extension TicklineStore {
    /// The fill of (account, symbol) with the highest venue trade id: its latest (Binance's trade
    /// ids increase with time per symbol), where a `userTrades` catch-up resumes. One cursor seek.
    public func lastFill(account: AccountID, symbol: SymbolID, using reader: LMDBReader? = nil) throws(StoreError)
        -> FillRecord?
    {
        let db = tables.fills.db
        let prefix = FillRecord.prefix(account: account, symbol: symbol)
        let highest = FillRecord.key(account: account, symbol: symbol, tradeID: .max)
        return try storeRead(reader ?? journal.makeReader()) { txn in
            try highest.withUnsafeBytes { top in
                try prefix.withUnsafeBytes { p in
                    try txn.withCursor(db) { cursor -> FillRecord? in
                        // The first key ≥ the prefix's highest possible key; the one before it is
                        // the prefix's last (or that key itself, when a trade id is Int64.max).
                        var found: Bool
                        if try cursor.seek(atLeast: top) {
                            found = cursor.key.elementsEqual(top) ? true : try cursor.previous()
                        } else {
                            found = try cursor.last()
                        }
                        guard found, cursor.key.starts(with: p) else { return nil }
                        return try FillRecord.decode(cursor.value, key: cursor.key)
                    }
                }
            }
        }
    }

    /// The fills of (account, symbol) at or after `fromTimeMs`, in trade-id order (a scan of the
    /// pair's prefix).
    public func fills(account: AccountID, symbol: SymbolID, fromTimeMs: Int64 = .min,
                      using reader: LMDBReader? = nil) throws(StoreError) -> [FillRecord] {
        let fills = tables.fills
        let prefix = FillRecord.prefix(account: account, symbol: symbol)
        return try storeRead(reader ?? journal.makeReader()) { txn in
            var out: [FillRecord] = []
            try fills.scan(prefix: prefix, in: txn) { f in
                if f.eventTimeMs >= fromTimeMs { out.append(f) }
                return true
            }
            return out
        }
    }

    /// Every journaled order of `account` (all accounts when nil), in client order id order: what
    /// names a backfilled fill's client order id and close reason through its venue order id.
    public func orders(account: AccountID? = nil, using reader: LMDBReader? = nil) throws(StoreError) -> [OrderRecord] {
        let orders = tables.orders
        return try storeRead(reader ?? journal.makeReader()) { txn in
            var out: [OrderRecord] = []
            try orders.scan(in: txn) { o in
                if account == nil || o.account == account { out.append(o) }
                return true
            }
            return out
        }
    }

    /// Inserts the absent fills and applies the closes in one journal transaction (all or
    /// nothing; durable at return). A close of a trade that is missing or no longer open fails
    /// the whole write (`.notFound`, `.tradeNotOpen`), as does an invalid close (`.invalidRecord`).
    @discardableResult
    public func applyReconciliation(_ write: ReconciliationWrite) throws(StoreError) -> ReconciliationWriteResult {
        let tables = tables
        return try storeUpdate(journal) { txn in
            var result = ReconciliationWriteResult()
            for fill in write.fills {
                do throws(StoreError) {
                    try tables.fills.put(fill, in: txn, flags: .noOverwrite)
                    result.fillsInserted += 1
                } catch .duplicateKey {
                    result.fillsPresent += 1
                }
            }
            for close in write.closes {
                result.tradesClosed.append(try Self.applyClose(close, trades: tables.trades, in: txn))
            }
            return result
        }
    }
}
