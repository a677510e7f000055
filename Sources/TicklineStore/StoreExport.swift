import CLMDB
import TicklineCore

#if canImport(Glibc)
import Glibc
#endif

// Export of store tables as CSV or JSON lines: what `tickline export` and the retention archive
// (`Retention.swift`) write. Cold path (operators, daily jobs): allocation is fine here; the
// store is only ever read, in chunks of short read transactions.

/// A table `tickline export` can write.
public enum StoreExportTable: String, Sendable, CaseIterable {
    case trades, candles, signals, snapshots
    case snapshotPositions = "snapshot_positions"

    public var environment: StoreEnvironmentKind {
        switch self {
        case .candles, .signals: return .market
        case .trades, .snapshots, .snapshotPositions: return .journal
        }
    }

    /// The CSV header line (with its newline).
    public var csvHeader: String {
        var w = StoreExportRowWriter(.csvHeader)
        let none = SymbolTable()
        switch self {
        case .trades: StoreExport.sampleTrade.exportFields(into: &w, symbols: none)
        case .candles: StoreExport.sampleCandle.exportFields(into: &w, symbols: none)
        case .signals: StoreExport.sampleSignal.exportFields(into: &w, symbols: none)
        case .snapshots: StoreExport.sampleSnapshot.exportFields(into: &w, symbols: none)
        case .snapshotPositions: StoreExport.samplePosition.exportFields(into: &w, symbols: none)
        }
        w.endRow()
        return w.out
    }
}

public enum StoreExportFormat: String, Sendable, CaseIterable {
    /// A header line, then one comma-separated line per record; times as epoch ms and ISO-8601.
    case csv
    /// One JSON object per line; times as epoch ms, decimals as strings.
    case jsonl
}

/// What to export: a table, a time range and optional filters.
public struct StoreExportQuery: Sendable {
    public var table: StoreExportTable
    public var format: StoreExportFormat
    /// Inclusive lower bound of the record's time (ms since the epoch); nil: from the first.
    public var fromMs: Int64?
    /// Exclusive upper bound; nil: to the last. Consecutive ranges `[a, b)`, `[b, c)` do not overlap.
    public var toMs: Int64?
    /// Candles, signals, trades, snapshot positions of one symbol (snapshots have none).
    public var symbol: SymbolID?
    /// Trades, snapshots and snapshot positions of one account (candles and signals have none).
    public var account: AccountID?
    /// Candles of one interval (other tables have none).
    public var interval: Interval?
    /// CSV only: write the header line first.
    public var header: Bool

    public init(table: StoreExportTable, format: StoreExportFormat = .csv, fromMs: Int64? = nil, toMs: Int64? = nil,
                symbol: SymbolID? = nil, account: AccountID? = nil, interval: Interval? = nil, header: Bool = true) {
        self.table = table
        self.format = format
        self.fromMs = fromMs
        self.toMs = toMs
        self.symbol = symbol
        self.account = account
        self.interval = interval
        self.header = header
    }

    /// The filter that does not apply to `table`, if one was given (snapshots have no symbol,
    /// candles and signals no account).
    public var inapplicableFilter: String? {
        switch table {
        case .snapshots where symbol != nil: return "symbol"
        case .candles where account != nil, .signals where account != nil: return "account"
        case .trades where interval != nil, .signals where interval != nil, .snapshots where interval != nil,
             .snapshotPositions where interval != nil: return "interval"
        default: return nil
        }
    }
}

/// What an export wrote and skipped.
public struct StoreExportSummary: Sendable, Equatable {
    /// Records written (header not counted).
    public var rows = 0
    /// Records that did not decode (unknown layout version, wrong length, impossible field),
    /// each naming table and key; they were skipped.
    public var corrupt: [StoreError] = []
    /// Symbol ids met that the symbol table does not name: their rows have an empty `symbol`
    /// and their prices and quantities are written as raw integers (units of 10^-places).
    public var unknownSymbols: [SymbolID] = []

    public init() {}
}

/// Reads store tables for export: either the environments of an open `TicklineStore` (same
/// process: the engine, tests) or, for `tickline export`, environments opened read-only
/// (`MDB_RDONLY`) beside a running engine. It never writes.
///
/// Tables are walked in key order in chunks (`chunkEntries` records per read transaction), so a
/// long export neither pins old pages for its whole duration (the file would grow under a
/// writer) nor holds the reader gate that map growth waits for. Each chunk sees a consistent
/// snapshot; the export as a whole sees records committed while it ran from the chunk that
/// reaches them on.
///
/// ## Symbols
/// The store keeps `SymbolID`s only, never names or scales: ids are the order of `[venue]
/// symbols` in the configuration, and scales come from the venue's exchange info at start-up.
/// The caller passes a `SymbolTable` in that order; ids it does not cover print with an empty
/// name and raw integers (and are listed in the summary).
public final class StoreExporter: @unchecked Sendable {
    let journal: LMDBEnvironment?
    let market: LMDBEnvironment?
    let databases: [StoreExportTable: LMDBDatabase]
    /// A read-only opener adopts a map grown by the writer's process (`MDB_MAP_RESIZED`).
    let adoptsForeignGrowth: Bool
    /// Records per read transaction.
    public var chunkEntries = 4096

    /// The tables of a store open in this process.
    public init(store: TicklineStore) {
        journal = store.journal
        market = store.market
        let t = store.tables
        databases = [.trades: t.trades.db, .candles: t.candles.db, .signals: t.signals.db,
                     .snapshots: t.snapshots.db, .snapshotPositions: t.snapshotPositions.db]
        adoptsForeignGrowth = false
    }

    private init(journal: LMDBEnvironment?, market: LMDBEnvironment?, databases: [StoreExportTable: LMDBDatabase]) {
        self.journal = journal
        self.market = market
        self.databases = databases
        adoptsForeignGrowth = true
    }

    /// Opens the environments holding `tables` under `directory` read-only (no file is created
    /// or written; the engine may be running). A table absent from the file exports no rows.
    ///
    /// Throws `.io(path:errno: ENOENT)` when `directory` or an environment's `data.mdb` is
    /// missing, so the caller can say which.
    ///
    /// Must not be used in a process that has the same store open (LMDB allows one environment
    /// per file per process): use `init(store:)` there.
    public static func openReadOnly(directory: String, tables: [StoreExportTable] = StoreExportTable.allCases)
        throws(StoreError) -> StoreExporter
    {
        var st = stat()
        if stat(directory, &st) != 0 { throw .io(path: directory, errno: errno) }
        var journal: LMDBEnvironment?, market: LMDBEnvironment?
        var databases: [StoreExportTable: LMDBDatabase] = [:]
        for kind in StoreEnvironmentKind.allCases {
            let wanted = tables.filter { $0.environment == kind }
            if wanted.isEmpty { continue }
            let path = directory + "/" + kind.rawValue
            if access(path + "/data.mdb", F_OK) != 0 { throw .io(path: path + "/data.mdb", errno: errno) }
            let env: LMDBEnvironment
            do {
                // Map size 0: the size recorded in the file (lmdb.h, mdb_env_set_mapsize).
                env = try LMDBEnvironment(path: path, options: .init(mapSizeBytes: 0, flags: [.noTLS, .readOnly]))
            } catch {
                throw .lmdb(error, table: "")
            }
            for table in wanted {
                if let db = try openExisting(table.rawValue, in: env) { databases[table] = db }
            }
            if kind == .journal { journal = env } else { market = env }
        }
        return StoreExporter(journal: journal, market: market, databases: databases)
    }

    /// `mdb_dbi_open` without `MDB_CREATE` in a read-only transaction, committed so the handle
    /// stays valid for the environment's life; nil when the table does not exist.
    private static func openExisting(_ name: String, in env: LMDBEnvironment) throws(StoreError) -> LMDBDatabase? {
        var txn: OpaquePointer?
        var rc = mdb_txn_begin(env.handle, nil, UInt32(MDB_RDONLY), &txn)
        guard rc == 0, let txn else { throw .lmdb(LMDBError(code: rc), table: name) }
        var dbi: MDB_dbi = 0
        rc = mdb_dbi_open(txn, name, 0, &dbi)
        if rc == MDB_NOTFOUND {
            mdb_txn_abort(txn)
            return nil
        }
        if rc != 0 {
            mdb_txn_abort(txn)
            throw .lmdb(LMDBError(code: rc), table: name)
        }
        rc = mdb_txn_commit(txn)
        if rc != 0 { throw .lmdb(LMDBError(code: rc), table: name) }
        return LMDBDatabase(dbi: dbi)
    }

    func environment(_ kind: StoreEnvironmentKind) -> LMDBEnvironment? {
        kind == .journal ? journal : market
    }

    /// Writes `query`'s rows through `emit` (text of whole lines, a chunk at a time, outside any
    /// transaction). Corrupt records are passed to `onCorrupt` as they are met (and listed in
    /// the summary) and skipped. Throws only what stops the export: an LMDB failure, or an
    /// error of `emit`.
    @discardableResult
    public func export(_ query: StoreExportQuery, symbols: SymbolTable,
                       onCorrupt: (StoreError) -> Void = { _ in },
                       emit: (String) throws -> Void) throws -> StoreExportSummary {
        var summary = StoreExportSummary()
        var unknown = Set<UInt16>()
        var buffer = ""
        let mode: StoreExportRowWriter.Mode = query.format == .csv ? .csv : .json
        if query.format == .csv, query.header { buffer = query.table.csvHeader }
        let range = StoreTimeRange(fromMs: query.fromMs ?? .min, toMs: query.toMs ?? .max)
        func row<R: StoreExportRecord>(_ r: R) {
            if let s = r.exportSymbol, s.index >= symbols.count { unknown.insert(s.rawValue) }
            var w = StoreExportRowWriter(mode, into: buffer)
            buffer = ""
            r.exportFields(into: &w, symbols: symbols)
            w.endRow()
            buffer = w.out
            summary.rows += 1
        }
        func corrupt(_ e: StoreError) {
            summary.corrupt.append(e)
            onCorrupt(e)
        }
        func flush() throws {
            if !buffer.isEmpty {
                try emit(buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let table = query.table
        if let env = environment(table.environment), let db = databases[table] {
            let walker = StoreRecordWalker(environment: env, db: db, chunkEntries: chunkEntries,
                                           adoptsForeignGrowth: adoptsForeignGrowth)
            let symbol = query.symbol, account = query.account, interval = query.interval
            switch table {
            case .trades:
                try walker.walk(TradeRecord.self, plan: .tradeID, range: range, onCorrupt: corrupt, afterChunk: flush) { t in
                    if let symbol, t.symbol != symbol { return }
                    if let account, t.account != account { return }
                    row(t)
                }
            case .candles:
                try walker.walk(CandleRecord.self, plan: .series(prefixBytes: 3, filter: symbol.map { $0.rawValue }),
                                range: range, onCorrupt: corrupt, afterChunk: flush) { c in
                    if let interval, c.kline.interval != interval { return }
                    row(c)
                }
            case .signals:
                try walker.walk(Signal.self, plan: .series(prefixBytes: 2, filter: symbol.map { $0.rawValue }),
                                range: range, onCorrupt: corrupt, afterChunk: flush) { row($0) }
            case .snapshots:
                try walker.walk(PortfolioSnapshot.self, plan: .series(prefixBytes: 2, filter: account.map { $0.rawValue }),
                                range: range, onCorrupt: corrupt, afterChunk: flush) { row($0) }
            case .snapshotPositions:
                try walker.walk(PositionUpdate.self, plan: .series(prefixBytes: 2, filter: account.map { $0.rawValue }),
                                range: range, onCorrupt: corrupt, afterChunk: flush) { p in
                    if let symbol, p.symbol != symbol { return }
                    row(p)
                }
            }
        }
        try flush()
        summary.unknownSymbols = unknown.sorted().map { SymbolID($0) }
        return summary
    }
}

// MARK: Walking a table by key range

/// `[fromMs, toMs)`.
struct StoreTimeRange {
    var fromMs: Int64
    var toMs: Int64

    func contains(_ t: Int64) -> Bool { t >= fromMs && t < toMs }
}

/// How a table's key encodes time, for range walks.
enum StoreKeyPlan {
    /// `[series prefix: prefixBytes][time i64 BE sign-flipped][…]`: candles (symbol, interval),
    /// signals (symbol), snapshots and their positions (account). `filter` restricts the walk to
    /// series whose first two bytes are that u16 (a symbol or an account).
    case series(prefixBytes: Int, filter: UInt16?)
    /// `TradeID`: entry time ms as u64 BE (not sign-flipped: entry times are positive), then 8 bytes.
    case tradeID
}

/// Walks the records of one table whose time is in a range, in key order, a chunk of entries per
/// read transaction, jumping over each series' records outside the range with a cursor seek
/// instead of reading them.
struct StoreRecordWalker {
    let environment: LMDBEnvironment
    let db: LMDBDatabase
    let chunkEntries: Int
    let adoptsForeignGrowth: Bool

    /// Calls `body` with each record in `range` (decoded; corrupt ones go to `onCorrupt`), and
    /// `afterChunk` after each read transaction (outside it: the place to write or delete).
    func walk<R: StoreRecord>(
        _ type: R.Type, plan: StoreKeyPlan, range: StoreTimeRange, onCorrupt: (StoreError) -> Void,
        afterChunk: () throws -> Void, _ body: (R) -> Void
    ) throws {
        guard range.fromMs < range.toMs else { return }
        var cursor = StoreChunkedCursor(environment: environment, db: db, adoptsForeignGrowth: adoptsForeignGrowth,
                                        start: plan.startKey(range))
        while !cursor.isDone {
            try cursor.advance(maxEntries: chunkEntries, table: R.tableName) { key, value in
                let step = plan.step(key, range)
                if step == .next {
                    do throws(StoreError) {
                        body(try R.decode(value, key: key))
                    } catch {
                        onCorrupt(error)
                    }
                }
                return step
            }
            try afterChunk()
        }
    }
}

extension StoreKeyPlan {
    func startKey(_ range: StoreTimeRange) -> StoreKey {
        var k = StoreKey()
        switch self {
        case .series(let n, let filter):
            k.append(filter ?? 0)
            for _ in 2..<n { k.append(UInt8(0)) }
            k.append(range.fromMs)
        case .tradeID:
            k.append(UInt64(max(range.fromMs, 0)))
            k.append(UInt64(0))
        }
        return k
    }

    /// What to do at `key`: `.next` (= visit: in range), `.seek` past records outside the range,
    /// `.stop` past the last series that can match. A key too short to hold the time is visited,
    /// so that decoding reports it.
    func step(_ key: UnsafeRawBufferPointer, _ range: StoreTimeRange) -> StoreChunkedCursor.Step {
        switch self {
        case .tradeID:
            guard key.count >= 8 else { return .next }
            let high = StoreKey.readUInt64(key, at: 0)
            return high >= UInt64(max(range.toMs, 0)) ? .stop : .next
        case .series(let n, let filter):
            guard key.count >= n + 8 else { return .next }
            if let filter, StoreKey.readUInt16(key, at: 0) != filter { return .stop }
            let t = StoreKey.readInt64(key, at: n)
            if t < range.fromMs {
                return .seek(Self.key(prefix: UnsafeRawBufferPointer(rebasing: key[0..<n]), time: range.fromMs))
            }
            if t >= range.toMs {
                // The next series: the prefix plus one, as a big-endian integer.
                var prefix = Array(key[0..<n])
                var i = n - 1
                while i >= 0 {
                    if prefix[i] == 0xFF {
                        prefix[i] = 0
                        i -= 1
                    } else {
                        prefix[i] += 1
                        break
                    }
                }
                if i < 0 { return .stop }
                if let filter, UInt16(prefix[0]) << 8 | UInt16(prefix[1]) != filter { return .stop }
                return prefix.withUnsafeBytes { .seek(Self.key(prefix: $0, time: range.fromMs)) }
            }
            return .next
        }
    }

    static func key(prefix: UnsafeRawBufferPointer, time: Int64) -> StoreKey {
        var k = StoreKey()
        for b in prefix { k.append(b) }
        k.append(time)
        return k
    }
}

/// A cursor walk over one database that survives between read transactions: each `advance`
/// opens a read transaction, visits up to `maxEntries` entries and remembers where to resume
/// (the key after the last one visited, or the pending seek target). Entries deleted between
/// chunks are simply not met again.
struct StoreChunkedCursor {
    enum Step: Equatable {
        case next
        /// Continue at the first key ≥ this one (ignored unless it is past the current key).
        case seek(StoreKey)
        case stop
    }

    enum Position {
        case atLeast([UInt8]), after([UInt8]), done
    }

    let environment: LMDBEnvironment
    let db: LMDBDatabase
    let adoptsForeignGrowth: Bool
    private(set) var position: Position

    init(environment: LMDBEnvironment, db: LMDBDatabase, adoptsForeignGrowth: Bool, start: StoreKey) {
        self.environment = environment
        self.db = db
        self.adoptsForeignGrowth = adoptsForeignGrowth
        self.position = .atLeast(start.withUnsafeBytes { Array($0) })
    }

    var isDone: Bool {
        if case .done = position { return true }
        return false
    }

    mutating func advance(maxEntries: Int, table: String,
                          _ visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Step) throws(StoreError) {
        let from = position
        let db = db
        var adopted = false
        while true {
            // A fresh reader per chunk: cheap next to a chunk's work, and a reader whose begin
            // failed (`MDB_MAP_RESIZED`) leaves nothing half-open.
            let reader = environment.makeReader()
            do {
                position = try reader.read { txn in
                    try txn.withCursor(db) { cursor in
                        try Self.run(&cursor, from: from, maxEntries: max(1, maxEntries), visit)
                    }
                }
                reader.close()
                return
            } catch let e as StoreError {
                reader.close()
                throw e
            } catch let e as LMDBError {
                reader.close()
                // Another process (the engine) grew the map: adopt its size and retry once.
                // No transaction of ours is open now, which `mdb_env_set_mapsize` requires.
                if e == .mapResized, adoptsForeignGrowth, !adopted {
                    adopted = true
                    let rc = mdb_env_set_mapsize(environment.handle, 0)
                    if rc == 0 { continue }
                    throw .lmdb(LMDBError(code: rc), table: table)
                }
                throw .lmdb(e, table: table)
            } catch {
                reader.close()
                preconditionFailure("unexpected error \(error)")
            }
        }
    }

    private static func run(_ cursor: inout LMDBCursor, from: Position, maxEntries: Int,
                            _ visit: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Step) throws -> Position {
        var found: Bool
        switch from {
        case .done:
            return .done
        case .atLeast(let k):
            found = try k.withUnsafeBytes { try cursor.seek(atLeast: $0) }
        case .after(let k):
            found = try k.withUnsafeBytes { try cursor.seek(atLeast: $0) }
            if found, cursor.key.elementsEqual(k) { found = try cursor.next() }
        }
        var visited = 0
        while found {
            let step = visit(cursor.key, cursor.value)
            visited += 1
            switch step {
            case .stop:
                return .done
            case .seek(let target):
                let ahead = target.withUnsafeBytes { t in cursor.key.lexicographicallyPrecedes(t) }
                if ahead {
                    if visited >= maxEntries { return .atLeast(target.withUnsafeBytes { Array($0) }) }
                    found = try target.withUnsafeBytes { try cursor.seek(atLeast: $0) }
                    continue
                }
                fallthrough  // a seek that would not move forward: take the next entry instead
            case .next:
                if visited >= maxEntries { return .after(Array(cursor.key)) }
                found = try cursor.next()
            }
        }
        return .done
    }
}

// MARK: Rows

/// A record `StoreExporter` can write: its fields, in column order.
protocol StoreExportRecord: StoreRecord {
    /// The symbol whose scales format the record's prices and quantities, if any.
    var exportSymbol: SymbolID? { get }
    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable)
}

/// Namespace of export constants and samples (the samples drive the CSV headers, so a column is
/// declared once, in `exportFields`).
public enum StoreExport {
    /// Scale of the portfolio snapshots' money fields: risk's books (`RiskEngine.moneyScale`,
    /// Binance's balance precision, 8 places).
    public static let moneyScale = DecimalScale(places: 8)

    static let sampleTrade = TradeRecord(id: TradeID(high: 0, low: 0), account: AccountID(0), symbol: SymbolID(0),
                                         side: .buy, entryTimeMs: 0, quantity: .zero, entryPrice: .zero)
    static let sampleCandle = CandleRecord(symbol: SymbolID(0), kline: Kline(
        eventTimeMs: 0, openTimeMs: 0, interval: .m1, open: .zero, high: .zero, low: .zero, close: .zero,
        volume: .zero, quoteVolume: .zero, takerBuyVolume: .zero, tradeCount: 0))
    static let sampleSignal = Signal(ingressNs: 0, signalID: 0, eventTimeMs: 0, symbol: SymbolID(0), interval: .m1,
                                     direction: .flat, scoreBp: 0, confidenceBp: 0, entryPrice: .zero)
    static let sampleSnapshot = PortfolioSnapshot(account: AccountID(0), timeMs: 0, totalEquity: .zero, cashBalance: .zero,
                                                  marginUsed: .zero, freeMargin: .zero, unrealizedPnL: .zero, positionCount: 0)
    static let samplePosition = PositionUpdate(timeNs: 0, eventTimeMs: 0, account: AccountID(0), symbol: SymbolID(0),
                                               side: .buy, quantity: .zero, entryPrice: .zero, markPrice: .zero,
                                               unrealizedPnL: .zero, accruedFunding: .zero)

    /// Lines (each with its newline) of `records` in `format`, as the export writes them.
    static func lines<S: Sequence>(_ records: S, format: StoreExportFormat, symbols: SymbolTable) -> String
    where S.Element: StoreExportRecord {
        var out = ""
        for r in records {
            var w = StoreExportRowWriter(format == .csv ? .csv : .json, into: out)
            out = ""
            r.exportFields(into: &w, symbols: symbols)
            w.endRow()
            out = w.out
        }
        return out
    }
}

extension SymbolTable {
    /// The entry of `id`, or nil when the table does not cover it.
    func exportEntry(_ id: SymbolID) -> Entry? {
        id.index < count ? self[id] : nil
    }
}

extension CandleRecord: StoreExportRecord {
    var exportSymbol: SymbolID? { symbol }

    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable) {
        let e = symbols.exportEntry(symbol)
        let ps = e?.priceScale, qs = e?.quantityScale
        w.unsigned("symbol_id", UInt64(symbol.rawValue))
        w.text("symbol", e?.name)
        w.text("interval", kline.interval.name)
        w.time("open_time", kline.openTimeMs)
        w.time("event_time", kline.eventTimeMs)
        w.decimal("open", kline.open.raw, ps)
        w.decimal("high", kline.high.raw, ps)
        w.decimal("low", kline.low.raw, ps)
        w.decimal("close", kline.close.raw, ps)
        w.decimal("volume", kline.volume.raw, qs)
        w.decimal("quote_volume", kline.quoteVolume.raw, ps)
        w.decimal("taker_buy_volume", kline.takerBuyVolume.raw, qs)
        w.unsigned("trade_count", UInt64(kline.tradeCount))
    }
}

extension Signal: StoreExportRecord {
    var exportSymbol: SymbolID? { symbol }

    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable) {
        let e = symbols.exportEntry(symbol)
        let ps = e?.priceScale
        w.unsigned("symbol_id", UInt64(symbol.rawValue))
        w.text("symbol", e?.name)
        w.time("event_time", eventTimeMs)
        w.unsigned("signal_id", signalID)
        w.text("interval", interval.name)
        w.text("direction", direction.wireName)
        w.integer("score_bp", Int64(scoreBp))
        w.unsigned("confidence_bp", UInt64(confidenceBp))
        w.unsigned("reason_code", UInt64(reasonCode))
        w.decimal("entry_price", entryPrice.raw, ps)
        // Zero: "not provided" (risk uses its configured percentages).
        w.decimal("stop_loss", stopLoss.raw == 0 ? nil : stopLoss.raw, ps)
        w.decimal("take_profit", takeProfit.raw == 0 ? nil : takeProfit.raw, ps)
    }
}

extension TradeRecord: StoreExportRecord {
    var exportSymbol: SymbolID? { symbol }

    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable) {
        let e = symbols.exportEntry(symbol)
        let ps = e?.priceScale, qs = e?.quantityScale
        let closed = status == .closed
        w.text("trade_id", id.description)
        w.unsigned("account", UInt64(account.rawValue))
        w.unsigned("symbol_id", UInt64(symbol.rawValue))
        w.text("symbol", e?.name)
        w.text("side", side.wireName)
        w.text("status", closed ? "closed" : "open")
        w.text("close_reason", closeReason.wireName)
        w.time("entry_time", entryTimeMs)
        w.time("exit_time", closed ? exitTimeMs : nil)
        w.decimal("quantity", quantity.raw, qs)
        w.decimal("entry_price", entryPrice.raw, ps)
        w.decimal("exit_price", closed ? exitPrice.raw : nil, ps)
        w.decimal("stop_loss", stopLoss.raw == 0 ? nil : stopLoss.raw, ps)
        w.decimal("take_profit", takeProfit.raw == 0 ? nil : takeProfit.raw, ps)
        w.decimal("realized_pnl", closed ? realizedPnL.raw : nil, ps)
        w.decimal("fees", fees.raw, ps)
        w.unsigned("signal_id", signalID)
        w.unsigned("entry_client_order_id", entryClientOrderID)
        w.unsigned("exit_client_order_id", closed ? exitClientOrderID : nil)
    }
}

extension PortfolioSnapshot: StoreExportRecord {
    var exportSymbol: SymbolID? { nil }

    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable) {
        let m = StoreExport.moneyScale
        w.unsigned("account", UInt64(account.rawValue))
        w.time("time", timeMs)
        w.decimal("total_equity", totalEquity.raw, m)
        w.decimal("cash_balance", cashBalance.raw, m)
        w.decimal("margin_used", marginUsed.raw, m)
        w.decimal("free_margin", freeMargin.raw, m)
        w.decimal("unrealized_pnl", unrealizedPnL.raw, m)
        w.unsigned("position_count", UInt64(positionCount))
    }
}

extension PositionUpdate: StoreExportRecord {
    var exportSymbol: SymbolID? { symbol }

    func exportFields(into w: inout StoreExportRowWriter, symbols: SymbolTable) {
        let e = symbols.exportEntry(symbol)
        let ps = e?.priceScale, qs = e?.quantityScale
        w.unsigned("account", UInt64(account.rawValue))
        w.time("time", eventTimeMs)
        w.unsigned("symbol_id", UInt64(symbol.rawValue))
        w.text("symbol", e?.name)
        w.text("side", side.wireName)
        w.decimal("quantity", quantity.raw, qs)
        w.decimal("entry_price", entryPrice.raw, ps)
        w.decimal("mark_price", markPrice.raw, ps)
        w.decimal("unrealized_pnl", unrealizedPnL.raw, ps)
        w.decimal("accrued_funding", accruedFunding.raw, ps)
    }
}

/// Writes one row's fields as CSV header names, CSV values, or one JSON object: a record lists
/// its fields once and gets all three.
///
/// - Decimals: exactly at their scale ("43250.10"), via `FixedPointValue.format`; JSON strings,
///   so no reader turns them into binary floating point. Without a scale (a symbol the table
///   does not name): the raw integer.
/// - Times: CSV `name_ms,name` (epoch ms and ISO-8601 UTC); JSON `"name_ms"` only.
/// - Absent values (an open trade's exit): empty in CSV, `null` in JSON.
struct StoreExportRowWriter {
    enum Mode { case csvHeader, csv, json }
    let mode: Mode
    private(set) var out: String
    private var fields = 0

    init(_ mode: Mode, into out: String = "") {
        self.mode = mode
        self.out = out
    }

    private mutating func begin(_ name: String) {
        switch mode {
        case .csvHeader, .csv:
            if fields > 0 { out += "," }
        case .json:
            out += fields > 0 ? ",\"" : "{\""
            out += name
            out += "\":"
        }
        fields += 1
        if mode == .csvHeader { out += name }
    }

    mutating func endRow() {
        if mode == .json { out += fields > 0 ? "}" : "{}" }
        out += "\n"
        fields = 0
    }

    mutating func integer(_ name: String, _ v: Int64?) {
        begin(name)
        guard mode != .csvHeader else { return }
        if let v { out += String(v) } else if mode == .json { out += "null" }
    }

    mutating func unsigned(_ name: String, _ v: UInt64?) {
        begin(name)
        guard mode != .csvHeader else { return }
        if let v { out += String(v) } else if mode == .json { out += "null" }
    }

    mutating func text(_ name: String, _ v: String?) {
        begin(name)
        switch mode {
        case .csvHeader: return
        case .csv: if let v { out += Self.csvEscaped(v) }
        case .json: if let v { Self.appendJSONString(v, to: &out) } else { out += "null" }
        }
    }

    mutating func decimal(_ name: String, _ raw: Int64?, _ scale: DecimalScale?) {
        begin(name)
        guard mode != .csvHeader else { return }
        guard let raw else {
            if mode == .json { out += "null" }
            return
        }
        let text = scale.map { Price(raw: raw).description(scale: $0) } ?? String(raw)
        if mode == .json { out += "\"" + text + "\"" } else { out += text }
    }

    mutating func time(_ name: String, _ ms: Int64?) {
        switch mode {
        case .json:
            integer(name + "_ms", ms)
        case .csvHeader, .csv:
            integer(name + "_ms", ms)
            begin(name)
            if mode == .csv, let ms { out += StoreExportTime.iso8601(ms: ms) }
        }
    }

    static func csvEscaped(_ s: String) -> String {
        guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
        var q = "\""
        for c in s {
            if c == "\"" { q += "\"\"" } else { q.append(c) }
        }
        return q + "\""
    }

    static func appendJSONString(_ s: String, to out: inout String) {
        JSONString.append(s, to: &out)
    }
}

// MARK: Time

/// UTC calendar conversions for export (no Foundation): ISO-8601 text and epoch milliseconds.
public enum StoreExportTime {
    /// "2026-01-02T03:04:05.678Z".
    public static func iso8601(ms: Int64) -> String {
        let (days, msOfDay) = floorDivide(ms, 86_400_000)
        let (y, m, d) = civil(fromDays: days)
        var s = date(y, m, d)
        s += "T"
        s += pad(Int(msOfDay / 3_600_000), 2) + ":" + pad(Int(msOfDay / 60_000 % 60), 2) + ":"
        s += pad(Int(msOfDay / 1000 % 60), 2) + "." + pad(Int(msOfDay % 1000), 3) + "Z"
        return s
    }

    /// "2026-01-02": the UTC date of `ms`.
    public static func date(ms: Int64) -> String {
        let (y, m, d) = civil(fromDays: floorDivide(ms, 86_400_000).quotient)
        return date(y, m, d)
    }

    /// Epoch ms from `1767312000000` (digits, optionally signed), `2026-01-02` (midnight UTC),
    /// or `2026-01-02T03:04:05Z` with optional fraction (`.678`, digits past ms dropped) and
    /// minutes-only form (`2026-01-02T03:04Z`); the zone must be `Z` or `+00:00`. Nil otherwise.
    public static func parse(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        guard !b.isEmpty else { return nil }
        if b.allSatisfy({ $0 >= 48 && $0 <= 57 }) || (b.count > 1 && b[0] == 45 && b.dropFirst().allSatisfy({ $0 >= 48 && $0 <= 57 })) {
            return Int64(text)
        }
        var i = 0
        func number(_ digits: Int) -> Int64? {
            guard i + digits <= b.count else { return nil }
            var v: Int64 = 0
            for j in i..<(i + digits) {
                guard b[j] >= 48 && b[j] <= 57 else { return nil }
                v = v * 10 + Int64(b[j] - 48)
            }
            i += digits
            return v
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let y = number(4), expect(45), let mo = number(2), expect(45), let d = number(2),
              (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y)
        else { return nil }
        let days = daysFromCivil(y, mo, d)
        if i == b.count { return days * 86_400_000 }
        guard expect(84) || expect(116), let h = number(2), expect(58), let mi = number(2), h < 24, mi < 60 else { return nil }
        var s: Int64 = 0, fractionMs: Int64 = 0
        if expect(58) {
            guard let sec = number(2), sec < 60 else { return nil }
            s = sec
            if expect(46) {
                var n = 0
                while i < b.count, b[i] >= 48, b[i] <= 57 {
                    if n < 3 { fractionMs = fractionMs * 10 + Int64(b[i] - 48) }
                    n += 1
                    i += 1
                }
                guard n > 0 else { return nil }
                for _ in n..<max(n, 3) { fractionMs *= 10 }
            }
        }
        let zone = Array(b[i...])
        guard zone == Array("Z".utf8) || zone == Array("z".utf8) || zone == Array("+00:00".utf8) else { return nil }
        return days * 86_400_000 + h * 3_600_000 + mi * 60_000 + s * 1000 + fractionMs
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> (quotient: Int64, remainder: Int64) {
        var q = a / b, r = a % b
        if r < 0 {
            q -= 1
            r += b
        }
        return (q, r)
    }

    static func date(_ y: Int64, _ m: Int64, _ d: Int64) -> String {
        (y < 0 ? "-" + pad(Int(-y), 4) : pad(Int(y), 4)) + "-" + pad(Int(m), 2) + "-" + pad(Int(d), 2)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func daysIn(month m: Int64, year y: Int64) -> Int64 {
        switch m {
        case 2: return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    // Howard Hinnant's `days_from_civil` / `civil_from_days` (proleptic Gregorian, day 0 = 1970-01-01).
    static func daysFromCivil(_ year: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d)
    }
}
