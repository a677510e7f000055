import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

/// Every table handle of the store: plain values, valid while the store is open.
public struct StoreTables: Sendable {
    // journal environment
    public let journalMeta: MetaTable
    public let trades: StoreTable<TradeRecord>
    public let orders: StoreTable<OrderRecord>
    public let fills: StoreTable<FillRecord>
    public let denials: StoreTable<OrderDenied>
    public let snapshots: StoreTable<PortfolioSnapshot>
    public let snapshotPositions: StoreTable<PositionUpdate>
    public let models: LMDBDatabase
    // market environment
    public let marketMeta: MetaTable
    public let candles: StoreTable<CandleRecord>
    public let signals: StoreTable<Signal>
}

/// Where and how the store keeps its two environments.
public struct StoreOptions: Sendable {
    /// Synced at every commit. Default map: 8 GiB (sparse; growth doubles it).
    public var journal: LMDBEnvironment.Options
    /// `MDB_NOSYNC`; the writer agent syncs it every `JournalWriterOptions.marketSyncIntervalNs`.
    /// Default map: 32 GiB.
    public var market: LMDBEnvironment.Options
    /// The schema versions this build writes; older files are migrated at open.
    public var journalSchemaVersion: UInt32
    public var marketSchemaVersion: UInt32
    public var migrations: [StoreMigration]

    public init(journal: LMDBEnvironment.Options = LMDBEnvironment.Options(mapSizeBytes: 8 << 30),
                market: LMDBEnvironment.Options = LMDBEnvironment.Options(mapSizeBytes: 32 << 30,
                                                                          flags: [.noTLS, .noSync]),
                journalSchemaVersion: UInt32 = TicklineStore.currentSchemaVersion,
                marketSchemaVersion: UInt32 = TicklineStore.currentSchemaVersion,
                migrations: [StoreMigration] = TicklineStore.migrations) {
        self.journal = journal
        self.market = market
        self.journalSchemaVersion = journalSchemaVersion
        self.marketSchemaVersion = marketSchemaVersion
        self.migrations = migrations
    }

    /// Both environments with `mapSizeBytes` and the given growth (tests: tiny maps).
    public static func small(mapSizeBytes: Int, growth: LMDBEnvironment.Growth = .init()) -> StoreOptions {
        StoreOptions(journal: .init(mapSizeBytes: mapSizeBytes, growth: growth),
                     market: .init(mapSizeBytes: mapSizeBytes, flags: [.noTLS, .noSync], growth: growth))
    }
}

/// The engine's persistent state: two LMDB environments under one directory.
///
/// - `<directory>/journal`: trades, orders, fills, denials, portfolio snapshots, models —
///   synced at every commit (a commit that returned survives power loss).
/// - `<directory>/market`: candles and signals — `MDB_NOSYNC`, synced by the writer agent
///   every N ms (a crash of the machine may lose the last N ms; a crash of the process loses
///   nothing committed, the pages are in the OS cache).
///
/// LMDB syncs a whole environment at commit, hence two: one policy each.
///
/// The data plane writes only through `JournalWriterAgent` (one writer, group commit); the
/// trade calls here (`openTrade`, `closeTrade`) and the readers serve start-up, the control
/// plane and tests. Each record's layout is documented on its type (`TradeRecord`,
/// `OrderRecord`, `FillRecord`, `CandleRecord`, `Signal`, `OrderDenied`,
/// `PortfolioSnapshot`, `PositionUpdate`, `ModelMetadata`, `MetaTable`).
///
/// ## Lifetime
/// The store owns both environments; `LMDBReader`s it makes keep them alive. Close by dropping
/// the last reference after the writer agent has stopped.
public final class TicklineStore: @unchecked Sendable {
    /// The schema version of the layouts in this build.
    public static let currentSchemaVersion: UInt32 = 1
    /// Registered upgrades (none yet: every layout is at version 1).
    public static let migrations: [StoreMigration] = []

    public let directory: String
    public let journal: LMDBEnvironment
    public let market: LMDBEnvironment
    public let tables: StoreTables
    /// Migration steps run by this open, in order.
    public private(set) var migrationsRun: [(StoreEnvironmentKind, UInt32)] = []

    /// Opens (creating if needed) both environments, their tables, and migrates older schemas.
    public init(directory: String, options: StoreOptions = StoreOptions()) throws(StoreError) {
        if mkdir(directory, 0o750) != 0, errno != EEXIST { throw .io(path: directory, errno: errno) }
        self.directory = directory
        do {
            journal = try LMDBEnvironment(path: directory + "/journal", options: options.journal)
            market = try LMDBEnvironment(path: directory + "/market", options: options.market)
        } catch {
            throw .lmdb(error, table: "")
        }
        tables = try Self.openTables(journal: journal, market: market)
        try migrate(.journal, to: options.journalSchemaVersion, options.migrations)
        try migrate(.market, to: options.marketSchemaVersion, options.migrations)
    }

    private static func openTables(journal: LMDBEnvironment, market: LMDBEnvironment) throws(StoreError) -> StoreTables {
        do {
            let j = try journal.beginWrite()
            let jm = MetaTable(db: try j.openDatabase(MetaTable.tableName))
            let trades = StoreTable<TradeRecord>(db: try j.openDatabase(TradeRecord.tableName))
            let orders = StoreTable<OrderRecord>(db: try j.openDatabase(OrderRecord.tableName))
            let fills = StoreTable<FillRecord>(db: try j.openDatabase(FillRecord.tableName))
            let denials = StoreTable<OrderDenied>(db: try j.openDatabase(OrderDenied.tableName))
            let snaps = StoreTable<PortfolioSnapshot>(db: try j.openDatabase(PortfolioSnapshot.tableName))
            let positions = StoreTable<PositionUpdate>(db: try j.openDatabase(PositionUpdate.tableName))
            let models = try j.openDatabase(ModelMetadata.tableName)
            try j.commit()
            let m = try market.beginWrite()
            let mm = MetaTable(db: try m.openDatabase(MetaTable.tableName))
            let candles = StoreTable<CandleRecord>(db: try m.openDatabase(CandleRecord.tableName))
            let signals = StoreTable<Signal>(db: try m.openDatabase(Signal.tableName))
            try m.commit()
            return StoreTables(journalMeta: jm, trades: trades, orders: orders, fills: fills, denials: denials,
                               snapshots: snaps, snapshotPositions: positions, models: models, marketMeta: mm,
                               candles: candles, signals: signals)
        } catch {
            throw .lmdb(error, table: "")
        }
    }

    public func environment(_ kind: StoreEnvironmentKind) -> LMDBEnvironment {
        kind == .journal ? journal : market
    }

    func meta(_ kind: StoreEnvironmentKind) -> MetaTable {
        kind == .journal ? tables.journalMeta : tables.marketMeta
    }

    /// The schema version recorded in `kind`'s meta table (nil before the first open finished).
    public func schemaVersion(_ kind: StoreEnvironmentKind) throws(StoreError) -> UInt32? {
        let reader = environment(kind).makeReader()
        return try storeRead(reader) { txn in
            try meta(kind).readUInt32(MetaTable.schemaVersionKey, in: txn)
        }
    }

    /// Brings `kind` to `target`: a new file is stamped; an older one runs each registered step
    /// in its own transaction with its version bump; a newer one is refused.
    private func migrate(_ kind: StoreEnvironmentKind, to target: UInt32, _ migrations: [StoreMigration]) throws(StoreError) {
        let env = environment(kind)
        let meta = meta(kind)
        let tables = tables
        guard var found = try schemaVersion(kind) else {
            try storeUpdate(env) { txn in
                try meta.writeUInt32(MetaTable.schemaVersionKey, target, in: txn)
            }
            return
        }
        if found > target { throw .schemaTooNew(environment: kind.rawValue, found: found, supported: target) }
        while found < target {
            guard let step = migrations.first(where: { $0.environment == kind && $0.fromVersion == found }) else {
                throw .missingMigration(environment: kind.rawValue, fromVersion: found)
            }
            let next = found + 1
            do {
                try env.update { txn in
                    try step.run(txn, tables)
                    try meta.writeUInt32(MetaTable.schemaVersionKey, next, in: txn)
                }
            } catch let e as StoreError {
                throw e
            } catch let e as LMDBError {
                throw .lmdb(e, table: "")
            } catch {
                throw .migrationFailed(environment: kind.rawValue, fromVersion: found, message: "\(error)")
            }
            migrationsRun.append((kind, found))
            found = next
        }
    }

    // MARK: Trades

    /// Inserts an open trade after validating it (`TradeRecord.validateForOpen`); an existing id
    /// is `.duplicateKey`. Durable at return (journal environment). Transient errors are retried
    /// up to 3 times (`LMDBEnvironment.Options.maxTransientRetries`), a full map grows.
    public func openTrade(_ trade: TradeRecord) throws(StoreError) {
        if let field = trade.validateForOpen() { throw .invalidRecord(table: TradeRecord.tableName, field: field) }
        let trades = tables.trades
        try storeUpdate(journal) { txn in
            try trades.put(trade, in: txn, flags: .noOverwrite)
        }
    }

    /// Closes an open trade: exit price and time, PnL, fees, status `closed` and the reason are
    /// written in one transaction (all or nothing). Returns the closed record.
    @discardableResult
    public func closeTrade(_ close: TradeClose) throws(StoreError) -> TradeRecord {
        let trades = tables.trades
        return try storeUpdate(journal) { txn in
            try Self.applyClose(close, trades: trades, in: txn)
        }
    }

    /// The close update inside a caller's transaction (the writer agent's batch, or `closeTrade`).
    public static func applyClose(_ close: TradeClose, trades: StoreTable<TradeRecord>,
                                  in txn: borrowing LMDBWriteTransaction) throws(StoreError) -> TradeRecord {
        guard var trade = try trades.get(close.id.key, in: txn) else {
            throw .notFound(table: TradeRecord.tableName, key: close.id.description)
        }
        guard trade.status == .open else { throw .tradeNotOpen(key: close.id.description) }
        if let field = close.validate(against: trade) { throw .invalidRecord(table: TradeRecord.tableName, field: field) }
        trade.status = .closed
        trade.exitTimeMs = close.exitTimeMs
        trade.exitPrice = close.exitPrice
        trade.realizedPnL = close.realizedPnL
        trade.closeReason = close.reason
        trade.fees = close.totalFees ?? Price(raw: trade.fees.raw &+ close.exitFees.raw)
        trade.exitClientOrderID = close.exitClientOrderID
        if close.quantity.raw > 0 { trade.quantity = close.quantity }
        if close.entryPrice.raw > 0 { trade.entryPrice = close.entryPrice }
        try trades.put(trade, in: txn)
        return trade
    }

    public func trade(_ id: TradeID, using reader: LMDBReader? = nil) throws(StoreError) -> TradeRecord? {
        let trades = tables.trades
        return try storeRead(reader ?? journal.makeReader()) { txn in
            try trades.get(id.key, in: txn)
        }
    }

    /// Every open trade, in id (entry time) order: what start-up recovery loads.
    public func openTrades(using reader: LMDBReader? = nil) throws(StoreError) -> [TradeRecord] {
        try trades(status: .open, using: reader)
    }

    /// Every trade (of `status` when given), in id (entry time) order.
    public func trades(status: TradeStatus? = nil, using reader: LMDBReader? = nil) throws(StoreError) -> [TradeRecord] {
        let trades = tables.trades
        return try storeRead(reader ?? journal.makeReader()) { txn in
            var out: [TradeRecord] = []
            try trades.scan(in: txn) { t in
                if status == nil || t.status == status { out.append(t) }
                return true
            }
            return out
        }
    }

    // MARK: Market data and snapshots (cold-path helpers; the agent writes the same tables)

    /// Candles of one series with open time in `fromMs...toMs`, in time order.
    public func candles(symbol: SymbolID, interval: Interval, fromMs: Int64, toMs: Int64,
                        using reader: LMDBReader? = nil) throws(StoreError) -> [CandleRecord] {
        let candles = tables.candles
        return try storeRead(reader ?? market.makeReader()) { txn in
            var out: [CandleRecord] = []
            try candles.scan(from: CandleRecord.key(symbol: symbol, interval: interval, openTimeMs: fromMs),
                             prefix: CandleRecord.prefix(symbol: symbol, interval: interval), in: txn) { c in
                guard c.kline.openTimeMs <= toMs else { return false }
                out.append(c)
                return true
            }
            return out
        }
    }

    /// Stores a portfolio snapshot and its open positions in one transaction.
    public func putSnapshot(_ snapshot: PortfolioSnapshot, positions: [PositionUpdate] = []) throws(StoreError) {
        let tables = tables
        try storeUpdate(journal) { txn in
            try tables.snapshots.put(snapshot, in: txn)
            for var p in positions {
                p.account = snapshot.account
                p.eventTimeMs = snapshot.timeMs
                try tables.snapshotPositions.put(p, in: txn)
            }
        }
    }

    /// Equity curve statistics of `account` over snapshots in `fromMs...toMs`.
    public func equityCurve(account: AccountID, fromMs: Int64, toMs: Int64,
                            using reader: LMDBReader? = nil) throws(StoreError) -> EquityCurveSummary {
        let snapshots = tables.snapshots
        return try storeRead(reader ?? journal.makeReader()) { txn in
            var equities: [Price] = []
            try snapshots.scan(from: PortfolioSnapshot.key(account: account, timeMs: fromMs),
                               prefix: PortfolioSnapshot.prefix(account: account), in: txn) { s in
                guard s.timeMs <= toMs else { return false }
                equities.append(s.totalEquity)
                return true
            }
            return EquityCurveSummary(equities: equities)
        }
    }

    /// Stores (replacing) a model's metadata.
    public func putModel(_ model: ModelMetadata) throws(StoreError) {
        guard let key = ModelMetadata.key(name: model.name) else {
            throw .invalidRecord(table: ModelMetadata.tableName, field: "name (1–32 bytes)")
        }
        let db = tables.models
        try storeUpdate(journal) { txn in
            do throws(LMDBError) {
                try key.withUnsafeBytes { (k) throws(LMDBError) in
                    try txn.put(db, key: k, reserving: model.encodedByteCount) { model.encode(into: $0) }
                }
            } catch {
                throw StoreError.lmdb(error, table: ModelMetadata.tableName)
            }
        }
    }

    public func model(named name: String, using reader: LMDBReader? = nil) throws(StoreError) -> ModelMetadata? {
        guard let key = ModelMetadata.key(name: name) else { return nil }
        let db = tables.models
        return try storeRead(reader ?? journal.makeReader()) { txn in
            try key.withUnsafeBytes { k in
                try txn.withValue(db, key: k) { v in try ModelMetadata.decode(v, key: k) }
            }
        }
    }
}

/// `env.update` with errors as `StoreError` (LMDB errors keep their table context empty).
@discardableResult
func storeUpdate<R>(_ env: LMDBEnvironment,
                    _ body: (borrowing LMDBWriteTransaction) throws -> R) throws(StoreError) -> R {
    do {
        return try env.update(body)
    } catch let e as StoreError {
        throw e
    } catch let e as LMDBError {
        throw .lmdb(e, table: "")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
}

/// `reader.read` with errors as `StoreError`.
func storeRead<R>(_ reader: LMDBReader, _ body: (borrowing LMDBReadTransaction) throws -> R) throws(StoreError) -> R {
    do {
        return try reader.read(body)
    } catch let e as StoreError {
        throw e
    } catch let e as LMDBError {
        throw .lmdb(e, table: "")
    } catch {
        preconditionFailure("unexpected error \(error)")
    }
}
